-- Shared fixtures for the pg_regress suites: the extension, login roles of
-- each kind, and two workspaces.  Later files rely on these names.
CREATE EXTENSION woes;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
        CREATE ROLE app LOGIN IN ROLE woes_service;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boss') THEN
        CREATE ROLE boss LOGIN IN ROLE woes_admin;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bi') THEN
        CREATE ROLE bi LOGIN IN ROLE woes_analyst;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rando') THEN
        CREATE ROLE rando LOGIN;
    END IF;
END;
$$;
SELECT "check", ok FROM woes.doctor() ORDER BY 1;
-- Under pg_virtualenv (test/run) connections authenticate with the password
-- in PGPASSWORD: the login roles get the same one, so that suites can \c as
-- them.  (Without PGPASSWORD, e.g. over a trusted socket, nothing to do.)
\getenv pgpassword PGPASSWORD
\if :{?pgpassword}
ALTER ROLE app PASSWORD :'pgpassword';
ALTER ROLE boss PASSWORD :'pgpassword';
ALTER ROLE bi PASSWORD :'pgpassword';
ALTER ROLE rando PASSWORD :'pgpassword';
\endif

-- Two workspaces with a few actors each, shared by the later suites (looked
-- up by slug and name; no suite depends on another's conversations).
SELECT woes.create_workspace('acme', 'Acme') AS acme \gset
SELECT woes.create_workspace('globex', 'Globex') AS globex \gset
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.add_operator('Ann', 'ann@acme.test') IS NOT NULL AS ann;
SELECT woes.add_agent('bot-a') IS NOT NULL AS bot_a;
SELECT woes.add_agent('bot-b') IS NOT NULL AS bot_b;
SELECT woes.upsert_contact('email', 'carol@example.com', 'Carol') IS NOT NULL AS carol;
SELECT woes.upsert_contact('email', 'dave@example.com', 'Dave') IS NOT NULL AS dave;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'admin');
SELECT woes.add_operator('Gus', 'gus@globex.test') IS NOT NULL AS gus;
SELECT woes.add_agent('gbot') IS NOT NULL AS gbot;
SELECT woes.upsert_contact('email', 'gina@example.com', 'Gina') IS NOT NULL AS gina;
COMMIT;

-- try_sql(statement): 'ok', or the SQLSTATE and message of the error the
-- statement raised, with uuids masked, for errors that name generated ids.
CREATE FUNCTION public.try_sql(statement text) RETURNS text
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END;
$$;

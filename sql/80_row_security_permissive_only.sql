-- Every permissive woes policy isolates the workspaces on its own.  On
-- Citus the restrictive workspace_isolation policy reaches the shards as a
-- permissive one (Citus drops AS RESTRICTIVE), where it would widen every
-- audience to the whole workspace, so woes.distribute() drops it there.
-- Here every restrictive policy is dropped (in a transaction, rolled back)
-- and each audience of globex tries to read, change and delete acme's rows.
\set VERBOSITY terse
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS gina FROM woes.contacts WHERE workspace_id = :'globex' AND name = 'Gina' \gset
SELECT id AS gus FROM woes.operators WHERE workspace_id = :'globex' AND name = 'Gus' \gset
SELECT id AS gbot FROM woes.agents WHERE workspace_id = :'globex' AND name = 'gbot' \gset
SELECT id AS carol FROM woes.contacts WHERE workspace_id = :'acme' AND name = 'Carol' \gset

-- the rows of every woes table outside the given workspace that the
-- caller can see
CREATE FUNCTION public.foreign_rows(ws uuid) RETURNS TABLE (tbl text, n bigint)
    LANGUAGE plpgsql
AS $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT c.relname,
                    CASE c.relname WHEN 'workspaces' THEN 'id' ELSE 'workspace_id' END AS key
               FROM pg_class c
              WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r' AND c.relname <> 'channels'
              ORDER BY 1
    LOOP
        BEGIN
            tbl := t.relname;
            EXECUTE format('SELECT count(*) FROM woes.%I WHERE %I <> $1', t.relname, t.key) INTO n USING ws;
        EXCEPTION WHEN insufficient_privilege THEN
            n := NULL;          -- no privilege on the table at all: nothing to read
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;
GRANT EXECUTE ON FUNCTION public.foreign_rows(uuid) TO PUBLIC;

SELECT id AS ann FROM woes.operators WHERE workspace_id = :'acme' AND name = 'Ann' \gset

-- acme has rows in every table the attacks below aim at
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.start_conversation(:'carol', 'api', 'permissive only: the target') AS target \gset
SELECT woes.add_note(:'target', 'a note globex must never read') IS NOT NULL AS noted;
COMMIT;
RESET ROLE;
SELECT count(*) > 0 AS acme_has_conversations FROM woes.conversations WHERE workspace_id = :'acme';
SELECT count(*) > 0 AS acme_has_messages FROM woes.messages WHERE workspace_id = :'acme';

BEGIN;
DO $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT polname, polrelid::regclass AS rel FROM pg_policy
              WHERE NOT polpermissive AND polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'woes'::regnamespace)
    LOOP
        EXECUTE format('DROP POLICY %I ON %s', p.polname, p.rel);
    END LOOP;
END;
$$;
SELECT count(*) AS restrictive_policies_left
  FROM pg_policy WHERE NOT polpermissive
   AND polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'woes'::regnamespace);

-- reads: every audience of globex sees nothing of another workspace
SET LOCAL ROLE app;
SELECT woes.set_context(:'globex', 'customer', :'gina');
SELECT 'customer' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n IS DISTINCT FROM 0;
SELECT woes.set_context(:'globex', 'agent', :'gbot');
SELECT 'agent' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n IS DISTINCT FROM 0;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT 'operator' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n IS DISTINCT FROM 0;
SELECT woes.set_context(:'globex', 'analyst');
SELECT 'analyst' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n IS DISTINCT FROM 0;

-- changes: an operator of globex updates nothing of acme's, and cannot
-- write a row into acme
SELECT woes.set_context(:'globex', 'operator', :'gus');
UPDATE woes.conversations SET subject = 'taken' WHERE workspace_id = :'acme' RETURNING 'changed' AS leak;
UPDATE woes.contacts SET name = 'taken' WHERE workspace_id = :'acme' RETURNING 'changed' AS leak;
UPDATE woes.messages SET body = 'taken' WHERE workspace_id = :'acme' RETURNING 'changed' AS leak;
SAVEPOINT s;
INSERT INTO woes.conversations (workspace_id, contact_id, channel, subject)
VALUES (:'acme', :'carol', 'api', 'planted');
ROLLBACK TO s;
SAVEPOINT s;
INSERT INTO woes.contacts (workspace_id, name) VALUES (:'acme', 'planted');
ROLLBACK TO s;
RESET ROLE;

-- deletes: an admin of globex deletes nothing of acme's
SET LOCAL ROLE boss;
SELECT woes.set_context(:'globex', 'admin');
SELECT 'admin' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n IS DISTINCT FROM 0;
DELETE FROM woes.agents WHERE workspace_id = :'acme' RETURNING 'deleted' AS leak;
DELETE FROM woes.conversations WHERE workspace_id = :'acme' RETURNING 'deleted' AS leak;
DELETE FROM woes.contacts WHERE workspace_id = :'acme' RETURNING 'deleted' AS leak;
UPDATE woes.workspaces SET name = 'taken' WHERE id = :'acme' RETURNING 'changed' AS leak;
RESET ROLE;
ROLLBACK;

-- and the restrictive policies are back
SELECT count(*) > 0 AS restrictive_policies_back
  FROM pg_policy WHERE NOT polpermissive
   AND polrelid IN (SELECT oid FROM pg_class WHERE relnamespace = 'woes'::regnamespace);
DROP FUNCTION public.foreign_rows(uuid);

-- Isolation on the shards: two workspaces, each audience of one tries to
-- read the other's rows through the coordinator (a scan of every shard and
-- a query routed by the other's key), with the context set by SET LOCAL
-- (forwarded to the workers).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN IN ROLE woes_service;
CREATE ROLE boss LOGIN IN ROLE woes_admin;
SELECT woes.create_workspace('acme', 'Acme') AS acme \gset
SELECT woes.create_workspace('globex', 'Globex') AS globex \gset

-- Rows of both workspaces in the tables the attacks aim at, planted by
-- the superuser with the triggers off (session_replication_role, forwarded
-- to the workers by SET LOCAL): woes's own write path does not run on the
-- shards yet (its context check reads the workspace from inside a shard's
-- trigger, which Citus runs outside the transaction's settings).
BEGIN;
SET LOCAL session_replication_role = replica;
INSERT INTO woes.operators (workspace_id, id, name, email) VALUES
    (:'acme', woes.uuid_generate_v7(), 'Ann', 'ann@acme.test'),
    (:'globex', woes.uuid_generate_v7(), 'Gus', 'gus@globex.test');
INSERT INTO woes.agents (workspace_id, id, name) VALUES
    (:'acme', woes.uuid_generate_v7(), 'acme-bot'), (:'globex', woes.uuid_generate_v7(), 'gbot');
SELECT woes.uuid_generate_v7() AS carol, woes.uuid_generate_v7() AS gina \gset
INSERT INTO woes.contacts (workspace_id, id, name) VALUES (:'acme', :'carol', 'Carol'), (:'globex', :'gina', 'Gina');
INSERT INTO woes.conversations (workspace_id, id, number, contact_id, channel, subject, control) VALUES
    (:'acme', woes.uuid_generate_v7(), 1, :'carol', 'api', 'acme 1', 'operator'),
    (:'acme', woes.uuid_generate_v7(), 2, :'carol', 'api', 'acme 2', 'operator'),
    (:'globex', woes.uuid_generate_v7(), 1, :'gina', 'api', 'globex 1', 'operator');
INSERT INTO woes.workspace_counters (workspace_id, last_conversation_number)
VALUES (:'acme', 2), (:'globex', 1);
COMMIT;
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS gbot FROM woes.agents WHERE name = 'gbot' \gset
-- (read by the superuser, who bypasses row-level security)
SELECT w.slug, count(*) AS conversations
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id GROUP BY 1 ORDER BY 1;

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
            n := NULL;
        END;
        RETURN NEXT;
    END LOOP;
END;
$$;
GRANT EXECUTE ON FUNCTION public.foreign_rows(uuid) TO PUBLIC;

SET ROLE app;
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'customer';
SET LOCAL woes.actor = :'gina';
SELECT 'customer' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n <> 0;
SET LOCAL woes.audience = 'agent';
SET LOCAL woes.actor = :'gbot';
SELECT 'agent' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n <> 0;
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'gus';
SELECT 'operator' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n <> 0;
-- a router query by acme's key finds nothing
SELECT count(*) AS acme_rows FROM woes.conversations WHERE workspace_id = :'acme';
-- and what it can see is its own
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
RESET ROLE;

SET ROLE boss;
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'admin';
SELECT 'admin' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n <> 0;
-- the agent citus-notes saw an admin of another workspace read
SELECT name FROM woes.agents ORDER BY 1;
ROLLBACK;
-- no context: nothing is read
BEGIN;
SELECT count(*) AS without_context FROM woes.conversations;
ROLLBACK;
RESET ROLE;
SELECT slug, name FROM woes.workspaces ORDER BY 1;
SELECT count(*) AS agents FROM woes.agents;

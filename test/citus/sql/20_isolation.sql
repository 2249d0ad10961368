-- Isolation on the shards: two workspaces written through the coordinator;
-- each audience of one tries to read, change and delete the other's rows
-- (a scan of every shard, and statements routed by the other's key), with
-- the context set by SET LOCAL (forwarded to the workers).
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE ROLE app LOGIN IN ROLE woes_service;
CREATE ROLE boss LOGIN IN ROLE woes_admin;
SELECT woes.create_workspace('acme', 'Acme') AS acme \gset
SELECT woes.create_workspace('globex', 'Globex') AS globex \gset

-- Rows of both workspaces, written through the coordinator the way an
-- application does: the admin API, and raw INSERTs under the context (the
-- triggers run on the shards: ids, context check, numbers).
SET ROLE boss;
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'admin';
SELECT woes.add_operator('Ann', 'ann@acme.test') AS ann \gset
SELECT woes.add_agent('acme-bot') IS NOT NULL AS agent_added;
COMMIT;
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'admin';
SELECT woes.add_operator('Gus', 'gus@globex.test') AS gus \gset
SELECT woes.add_agent('gbot') AS gbot \gset
COMMIT;
SET ROLE app;
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'ann';
INSERT INTO woes.contacts (name) VALUES ('Carol') RETURNING id AS carol \gset
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'carol', 'api', 'acme 1');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'carol', 'api', 'acme 2');
COMMIT;
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'gus';
INSERT INTO woes.contacts (name) VALUES ('Gina') RETURNING id AS gina \gset
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'gina', 'api', 'globex 1');
-- a rolled-back conversation does not use up a number
SAVEPOINT s;
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'gina', 'api', 'rolled back');
ROLLBACK TO s;
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'gina', 'api', 'globex 2');
COMMIT;
RESET ROLE;

-- conversation numbers, per workspace, gap-free, from the counter in the
-- workspace's own shard (read by the superuser, who bypasses row-level
-- security)
SELECT w.slug, c.subject, c.number, k.last_conversation_number
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id
  JOIN woes.workspace_counters k ON k.workspace_id = c.workspace_id
 ORDER BY 1, 3;
-- every copy of the workspaces reference table has the same ids
SELECT count(DISTINCT result) AS distinct_answers
  FROM run_command_on_placements('woes.workspaces', $$SELECT string_agg(id::text, ',' ORDER BY slug) FROM %s$$);

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
-- (an UPDATE routed to another workspace's shard is not tried here: the
-- context check of its statement trigger would have to read this
-- workspace's operators from that shard's worker, which Citus refuses from
-- inside a shard query; see README "Scaling Out")
-- and what it can see is its own
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
RESET ROLE;

SET ROLE boss;
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'admin';
SELECT 'admin' AS audience, tbl, n FROM public.foreign_rows(:'globex') WHERE n <> 0;
-- the agent citus-notes saw an admin of another workspace read, and
-- delete: neither
SELECT name FROM woes.agents ORDER BY 1;
DELETE FROM woes.agents WHERE workspace_id = :'acme' RETURNING name;
DELETE FROM woes.contacts WHERE workspace_id = :'acme' RETURNING name;
-- a row written into acme is refused on the worker
SAVEPOINT s;
INSERT INTO woes.contacts (workspace_id, name) VALUES (:'acme', 'planted');
ROLLBACK TO s;
ROLLBACK;
-- the row guard's error names the table, not the worker's shard of it
-- (this file's output is compared as it is, shard names and all)
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'admin';
UPDATE woes.contacts SET created_at = '2000-01-01' WHERE workspace_id = :'globex';
ROLLBACK;
-- no context: nothing is read, nothing is written, with woes's error (the
-- default of workspace_id, evaluated on the coordinator, raises it)
BEGIN;
SELECT count(*) AS without_context FROM woes.conversations;
INSERT INTO woes.contacts (name) VALUES ('nobody');
ROLLBACK;
RESET ROLE;
SELECT slug, name FROM woes.workspaces ORDER BY 1;
SELECT count(*) AS agents FROM woes.agents;

-- woes.distribute() on a server without Citus, and the doctor() checks
-- that keep the layout safe to distribute (the Citus suite, test/citus/,
-- runs the rest on a coordinator and two workers).
\set VERBOSITY terse
-- no Citus: WO501, nothing changed
DO $$
BEGIN
    PERFORM woes.distribute();
EXCEPTION WHEN SQLSTATE 'WO501' THEN
    RAISE NOTICE 'WO501: %', SQLERRM;
END;
$$;
SELECT count(*) AS restrictive_policies FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
 WHERE c.relnamespace = 'woes'::regnamespace AND NOT p.polpermissive;
-- only a superuser runs it
SET ROLE boss;
SELECT * FROM woes.distribute();
RESET ROLE;
-- every woes policy isolates the workspace on its own: doctor() names one
-- that lost the test (the restrictive policy still holds here; on Citus it
-- would not)
BEGIN;
ALTER POLICY agents_read ON woes.agents USING (woes.in_audience('{agent,operator,admin,analyst}'));
SELECT "check", ok, detail FROM woes.doctor() WHERE NOT ok;
ROLLBACK;
SELECT "check", ok, detail FROM woes.doctor() WHERE "check" IN ('policies_isolate', 'shard_policies');
-- create_workspace() makes the id itself and supplies it (on Citus the id
-- trigger fires on every copy of the workspaces reference table, and each
-- copy would otherwise make its own): a superuser may supply an id, an
-- application role still may not
SELECT woes.create_workspace('scale-ids', 'Ids') AS scale_ws \gset
SELECT id = :'scale_ws' AS same_id, substr(id::text, 15, 1) = '7' AS v7 FROM woes.workspaces WHERE slug = 'scale-ids';
INSERT INTO woes.workspaces (id, slug, name) VALUES ('01a00000-0000-7000-8000-0000000000aa', 'scale-import', 'Imported')
RETURNING id;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'scale_ws', 'operator');
INSERT INTO woes.contacts (id, name) VALUES ('01a00000-0000-7000-8000-0000000000ab', 'forged id');
ROLLBACK;
RESET ROLE;

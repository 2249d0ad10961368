-- Row-level security, keys and dump registration of every table: catalog
-- queries over schema woes (so a table added later cannot slip through),
-- then the exact policies of each foundation table.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
SELECT plan(43);

-- the tables of the schema; channels is global lookup data, every other
-- table belongs to a workspace
CREATE TEMP VIEW woes_tables AS
SELECT c.oid, c.relname, c.relname <> 'channels' AS per_workspace
  FROM pg_class c
 WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'p');

SELECT cmp_ok((SELECT count(*) FROM woes_tables), '>=', 12::bigint, 'schema woes has its tables');

SELECT is_empty($$SELECT t.relname FROM woes_tables t JOIN pg_class c USING (oid) WHERE NOT c.relrowsecurity$$,
                'row-level security is enabled on every table of schema woes');
SELECT is_empty($$SELECT t.relname FROM woes_tables t JOIN pg_class c USING (oid) WHERE NOT c.relforcerowsecurity$$,
                'row-level security is forced (the owner too) on every table of schema woes');

SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE per_workspace AND NOT EXISTS (
           SELECT FROM pg_policy p
            WHERE p.polrelid = t.oid AND p.polname = 'workspace_isolation'
              AND NOT p.polpermissive AND p.polcmd = '*'
              AND pg_get_expr(p.polqual, p.polrelid) LIKE '(% = woes.current_workspace())'
              AND pg_get_expr(p.polwithcheck, p.polrelid) LIKE 'woes.in_workspace(%)')
$$, 'every workspace table has the RESTRICTIVE isolation policy for all commands');

SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = t.oid AND p.polpermissive)
$$, 'every table has permissive (audience) policies');

-- the mark by which the row writer tells woes's own policies from a DBA's
-- (policy_is_woes_own in policies.c)
SELECT is_empty($$
    SELECT p.polrelid::regclass || ' ' || p.polname FROM pg_policy p JOIN woes_tables t ON t.oid = p.polrelid
     WHERE coalesce(obj_description(p.oid, 'pg_policy'), '') NOT LIKE 'Defined by woes. %'
$$, 'every policy woes creates has a COMMENT that starts ''Defined by woes.''');
-- and that ends with the fingerprint of its expressions (policy_is_woes_own
-- in policies.c: a policy ALTER POLICY rewrote is not woes's own any more)
SELECT is_empty($$
    SELECT p.polrelid::regclass || ' ' || p.polname FROM pg_policy p JOIN woes_tables t ON t.oid = p.polrelid
     WHERE obj_description(p.oid, 'pg_policy')
           NOT LIKE '%' || E'\nwoes fingerprint: ' || woes.policy_fingerprint(p.oid)
$$, 'every policy woes creates has a COMMENT that ends with the fingerprint of its expressions');
SELECT is(woes.policy_fingerprint(0), NULL, 'no fingerprint for no policy');
-- the digest is the expressions' as printed under a pinned search_path, so
-- neither the caller's search_path nor quote_all_identifiers moves it
SELECT woes.policy_fingerprint(p.oid) AS staff_update_fingerprint
  FROM pg_policy p WHERE p.polrelid = 'woes.conversations'::regclass AND p.polname = 'conversations_staff_update' \gset
SET LOCAL search_path = woes, public;
SET LOCAL quote_all_identifiers = on;
SELECT is(woes.policy_fingerprint(p.oid), :'staff_update_fingerprint',
          'the fingerprint does not depend on search_path or quote_all_identifiers')
  FROM pg_policy p WHERE p.polrelid = 'woes.conversations'::regclass AND p.polname = 'conversations_staff_update';
RESET search_path;
RESET quote_all_identifiers;
SELECT is((SELECT ok FROM woes.doctor() WHERE "check" = 'policies_as_defined'), true,
          'doctor: every woes policy as woes defined it');
-- a woes policy rewritten: doctor() names it; woes.stamp_policy, the
-- owner vouching for it as it stands, stamps it again; it stamps only woes's
ALTER POLICY conversations_staff_update ON woes.conversations
    USING (workspace_id = woes.current_workspace() AND woes.in_audience('{admin}'));
SELECT is((SELECT detail FROM woes.doctor() WHERE "check" = 'policies_as_defined'),
          'conversations.conversations_staff_update', 'doctor names a woes policy ALTER POLICY rewrote');
SELECT is(woes.stamp_policy('woes.conversations', 'conversations_staff_update'), woes.policy_fingerprint(p.oid),
          'stamp_policy writes the fingerprint of the policy as it stands, and returns it')
  FROM pg_policy p WHERE p.polrelid = 'woes.conversations'::regclass AND p.polname = 'conversations_staff_update';
SELECT is((SELECT ok FROM woes.doctor() WHERE "check" = 'policies_as_defined'), true,
          'stamped again, the policy is as woes defines it');
SELECT throws_ok($$SELECT woes.stamp_policy('woes.conversations', 'no_such_policy')$$, 'WO005', NULL,
                 'stamp_policy: no such policy is WO005');
CREATE POLICY dba_policy ON woes.conversations AS RESTRICTIVE FOR UPDATE USING (true);
SELECT throws_ok($$SELECT woes.stamp_policy('woes.conversations', 'dba_policy')$$, 'WO007', NULL,
                 'stamp_policy: a policy that is not woes''s is WO007');
DROP POLICY dba_policy ON woes.conversations;
SELECT throws_ok($$SELECT woes.stamp_policy('woes.conversations', NULL)$$, 'WO007', NULL,
                 'stamp_policy: a NULL argument is WO007');
-- a woes policy dropped: every other woes policy of its table no longer
-- matches its fingerprint (each counts the permissive ones), the other
-- tables' do
SAVEPOINT dropped;
DROP POLICY conversations_admin_delete ON woes.conversations;
SELECT is((SELECT detail FROM woes.doctor() WHERE "check" = 'policies_as_defined'),
          (SELECT string_agg('conversations.' || polname, ', ' ORDER BY polname) FROM pg_policy
            WHERE polrelid = 'woes.conversations'::regclass),
          'doctor names every other woes policy of a table one was dropped from');
ROLLBACK TO SAVEPOINT dropped;

SELECT is_empty($$
    SELECT p.polrelid::regclass || ' ' || p.polname FROM pg_policy p JOIN woes_tables t ON t.oid = p.polrelid
     WHERE p.polname <> 'workspace_isolation' AND NOT p.polpermissive
$$, 'the isolation policy is the only restrictive one');

-- policies read only the context: no subquery, no table (Citus rejects them)
SELECT is_empty($$
    SELECT p.polrelid::regclass || ' ' || p.polname FROM pg_policy p JOIN woes_tables t ON t.oid = p.polrelid
     WHERE coalesce(pg_get_expr(p.polqual, p.polrelid), '') ~* '\mselect\M'
        OR coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '') ~* '\mselect\M'
$$, 'no policy contains a subquery');

SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE per_workspace AND NOT EXISTS (
           SELECT FROM pg_trigger g
            WHERE g.tgrelid = t.oid AND g.tgname = 'require_context' AND g.tgenabled = 'O'
              AND g.tgfoid = 'woes.require_context()'::regprocedure)
$$, 'every workspace table refuses writes without a context (trigger require_context)');

SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE per_workspace AND NOT EXISTS (
           SELECT FROM pg_trigger g
            WHERE g.tgrelid = t.oid AND g.tgname = 'guard_update' AND g.tgenabled = 'O'
              AND g.tgfoid = 'woes.guard_update()'::regprocedure)
$$, 'every workspace table freezes its key columns (trigger guard_update)');

SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'woes' AND t.oid = ANY (e.extconfig))
$$, 'every table is registered with pg_extension_config_dump');

SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'S'
       AND NOT EXISTS (SELECT FROM pg_extension e WHERE e.extname = 'woes' AND c.oid = ANY (e.extconfig))
$$, 'every sequence is registered with pg_extension_config_dump');

-- the keys: workspace_id leads every primary key, unique key and foreign key
SELECT is_empty($$
    SELECT relname FROM woes_tables t
     WHERE per_workspace AND relname <> 'workspaces' AND NOT EXISTS (
           SELECT FROM pg_constraint k JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
            WHERE k.conrelid = t.oid AND k.contype = 'p' AND a.attname = 'workspace_id')
$$, 'workspace_id leads every primary key');

SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i JOIN woes_tables t ON t.oid = i.indrelid
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
     WHERE t.per_workspace AND t.relname <> 'workspaces' AND i.indisunique AND a.attname <> 'workspace_id'
$$, 'workspace_id leads every unique index of the workspace tables');

SELECT is_empty($$
    SELECT k.conname FROM pg_constraint k JOIN woes_tables t ON t.oid = k.conrelid
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
     WHERE k.contype = 'f' AND t.per_workspace AND k.confrelid <> 'woes.channels'::regclass
       AND a.attname <> 'workspace_id'
$$, 'workspace_id leads every foreign key between workspace tables');

SELECT is_empty($$
    SELECT k.conname FROM pg_constraint k
     WHERE k.contype = 'f' AND k.confrelid IN (SELECT oid FROM woes_tables WHERE per_workspace)
       AND k.conrelid = 'woes.channels'::regclass
$$, 'global lookup data never points at workspace tables');

-- the exact policies of the foundation tables
SELECT policies_are('woes', 'workspaces',
    ARRAY['workspace_isolation', 'workspaces_read', 'workspaces_admin_update']);
SELECT policies_are('woes', 'channels', ARRAY['channels_read']);
SELECT policies_are('woes', 'contacts',
    ARRAY['workspace_isolation', 'contacts_customer_read', 'contacts_staff_read', 'contacts_staff_insert',
          'contacts_staff_update', 'contacts_admin_delete']);
SELECT policies_are('woes', 'identities',
    ARRAY['workspace_isolation', 'identities_customer_read', 'identities_staff_read', 'identities_staff_insert',
          'identities_staff_update', 'identities_staff_delete']);
SELECT policies_are('woes', 'operators',
    ARRAY['workspace_isolation', 'operators_read', 'operators_staff_insert', 'operators_staff_update',
          'operators_admin_delete']);
SELECT policies_are('woes', 'teams',
    ARRAY['workspace_isolation', 'teams_read', 'teams_staff_insert', 'teams_staff_update', 'teams_admin_delete']);
SELECT policies_are('woes', 'team_members',
    ARRAY['workspace_isolation', 'team_members_read', 'team_members_staff_insert', 'team_members_staff_update',
          'team_members_admin_delete']);
SELECT policies_are('woes', 'agents',
    ARRAY['workspace_isolation', 'agents_read', 'agents_staff_insert', 'agents_staff_update', 'agents_admin_delete']);
SELECT policies_are('woes', 'conversations',
    ARRAY['workspace_isolation', 'conversations_customer_read', 'conversations_staff_read',
          'conversations_customer_insert', 'conversations_staff_insert', 'conversations_staff_update',
          'conversations_admin_delete']);
SELECT policies_are('woes', 'participants',
    ARRAY['workspace_isolation', 'participants_staff_read', 'participants_staff_insert', 'participants_staff_update',
          'participants_admin_delete', 'participants_customer_insert']);
SELECT policies_are('woes', 'messages',
    ARRAY['workspace_isolation', 'messages_read', 'messages_customer_insert', 'messages_agent_insert',
          'messages_staff_insert', 'messages_staff_update', 'messages_admin_delete']);
SELECT policies_are('woes', 'role_bindings', ARRAY['workspace_isolation', 'role_bindings_admin_read']);

-- every policy applies to every role (TO PUBLIC), so no role escapes them
SELECT is_empty($$
    SELECT p.polrelid::regclass || ' ' || p.polname FROM pg_policy p JOIN woes_tables t ON t.oid = p.polrelid
     WHERE p.polroles <> '{0}'
$$, 'every policy applies to every role');
SELECT policy_cmd_is('woes', 'conversations', 'workspace_isolation', 'all',
                     'the isolation policy covers every command');
SELECT ok(pg_get_expr(p.polqual, p.polrelid) LIKE '%contact_id = woes.current_actor()%',
          'a customer reads the conversations of its own contact only')
  FROM pg_policy p WHERE p.polrelid = 'woes.conversations'::regclass AND p.polname = 'conversations_customer_read';

-- the planner knows the sizes of up to a thousand workspaces (the inbox
-- page's plan and src/plans.c's size classes depend on it)
SELECT is((SELECT a.attstattarget::int FROM pg_attribute a
            WHERE a.attrelid = 'woes.conversations'::regclass AND a.attname = 'workspace_id'),
          1000, 'conversations.workspace_id has statistics target 1000');

SELECT * FROM finish();
ROLLBACK;

-- Privileges: per table and role, per column where grants are by column,
-- on the schema, the internal helpers and the context settings.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
SELECT plan(131);

--------------------------------------------------------------------------
-- Tables, per role (woes_service, woes_admin, woes_analyst, public)
--------------------------------------------------------------------------
-- the people, contacts and conversations: the backend and admins work them
SELECT table_privs_are('woes', t, r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.%s (row-level security decides which rows)', r, t))
  FROM unnest(ARRAY['contacts', 'identities', 'operators', 'teams', 'team_members', 'agents',
                    'conversations', 'participants', 'messages']) t,
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY t, r;
-- analysts: who and how, never what was said; only what the views of
-- woes_bi read (they have no USAGE on schema woes: the views are their way in)
SELECT table_privs_are('woes', t, 'woes_analyst', ARRAY['SELECT'], format('woes_analyst may read woes.%s', t))
  FROM unnest(ARRAY['teams', 'workspaces', 'channels']) t ORDER BY t;
SELECT table_privs_are('woes', 'operators', 'woes_analyst', ARRAY[]::text[],
                       'woes_analyst has no table-wide privilege on woes.operators (its columns below)');
SELECT table_privs_are('woes', t, 'woes_analyst', ARRAY[]::text[], format('woes_analyst has no privilege on woes.%s', t))
  FROM unnest(ARRAY['contacts', 'identities', 'conversations', 'participants', 'messages', 'role_bindings',
                    'team_members', 'agents']) t
 ORDER BY t;
-- workspaces: read by all three; created by create_workspace (definer)
SELECT table_privs_are('woes', 'workspaces', r, ARRAY['SELECT'], format('%s may only read woes.workspaces', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT table_privs_are('woes', 'channels', r, ARRAY['SELECT'], format('%s may only read woes.channels', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
-- role bindings: admins read them, bind_role (definer) writes them
SELECT table_privs_are('woes', 'role_bindings', 'woes_admin', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'role_bindings', 'woes_service', ARRAY[]::text[]);
-- PUBLIC: nothing, on any foundation table
SELECT table_privs_are('woes', t, 'public', ARRAY[]::text[], format('PUBLIC has no privilege on woes.%s', t))
  FROM unnest(ARRAY['workspaces', 'channels', 'contacts', 'identities', 'operators', 'teams', 'team_members',
                    'agents', 'conversations', 'participants', 'messages', 'role_bindings']) t
 ORDER BY t;
-- and, catalog-wide, nothing on any relation of the schema
SELECT is_empty($$
    SELECT c.relname FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.relnamespace = 'woes'::regnamespace AND x.grantee = 0
$$, 'PUBLIC has no privilege on any relation of schema woes');
-- TRUNCATE ignores row-level security; REFERENCES and TRIGGER are DDL: only the owner has them
SELECT is_empty($$
    SELECT c.relname || ': ' || x.privilege_type FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.relnamespace = 'woes'::regnamespace AND x.grantee <> c.relowner
       AND x.privilege_type NOT IN ('SELECT', 'INSERT', 'UPDATE', 'DELETE', 'USAGE')
$$, 'nobody but the owner may TRUNCATE, REFERENCE or put triggers on a woes table');

--------------------------------------------------------------------------
-- Columns granted one by one
--------------------------------------------------------------------------
SELECT column_privs_are('woes', 'conversations', c, 'woes_analyst', ARRAY['SELECT'],
                        format('woes_analyst may read conversations.%s', c))
  FROM unnest(ARRAY['workspace_id', 'id', 'number', 'channel', 'status', 'control', 'created_at']) c ORDER BY c;
SELECT column_privs_are('woes', 'conversations', 'subject', 'woes_analyst', ARRAY[]::text[],
                        'woes_analyst may not read conversation subjects');
SELECT column_privs_are('woes', 'operators', c, 'woes_analyst', ARRAY['SELECT'],
                        format('woes_analyst may read operators.%s', c))
  FROM unnest(ARRAY['workspace_id', 'id', 'name', 'active', 'away', 'created_at']) c ORDER BY c;
SELECT column_privs_are('woes', 'operators', c, 'woes_analyst', ARRAY[]::text[],
                        format('woes_analyst may not read operators.%s', c))
  FROM unnest(ARRAY['email', 'capacity']) c ORDER BY c;
SELECT column_privs_are('woes', 'conversations', 'thread_ref', 'woes_analyst', ARRAY[]::text[],
                        'woes_analyst may not read thread references');
SELECT column_privs_are('woes', 'workspaces', c, 'woes_admin', ARRAY['SELECT', 'UPDATE'],
                        format('woes_admin may rename and configure workspaces (%s)', c))
  FROM unnest(ARRAY['name', 'settings']) c ORDER BY c;
SELECT column_privs_are('woes', 'workspaces', c, 'woes_admin', ARRAY['SELECT'],
                        format('woes_admin may not change workspaces.%s', c))
  FROM unnest(ARRAY['id', 'slug', 'created_at']) c ORDER BY c;

--------------------------------------------------------------------------
-- The schema
--------------------------------------------------------------------------
SELECT schema_privs_are('woes', r, ARRAY['USAGE'], format('%s may use schema woes, not create in it', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
-- analysts (BI tools) use woes_bi only, so a BI tool lists exactly what it may read
SELECT schema_privs_are('woes', 'woes_analyst', ARRAY[]::text[], 'woes_analyst may not use schema woes');
SELECT schema_privs_are('woes_bi', r, ARRAY['USAGE'], format('%s may use schema woes_bi, not create in it', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT schema_privs_are('woes', 'public', ARRAY[]::text[], 'PUBLIC may not even use schema woes');
SELECT is_empty($$
    SELECT coalesce(r.rolname, 'PUBLIC') FROM pg_namespace n, aclexplode(n.nspacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE n.oid = 'woes'::regnamespace AND x.privilege_type = 'CREATE' AND x.grantee <> n.nspowner
$$, 'no role but the owner may CREATE in schema woes');
SELECT is((SELECT e.extowner = n.nspowner FROM pg_extension e, pg_namespace n
            WHERE e.extname = 'woes' AND n.oid = 'woes'::regnamespace), true,
          'the extension owns schema woes');

--------------------------------------------------------------------------
-- Functions
--------------------------------------------------------------------------
-- internal helpers: never PUBLIC
SELECT function_privs_are('woes', f, a, 'public', ARRAY[]::text[], format('PUBLIC may not execute woes.%s', f))
  FROM (VALUES ('in_workspace', ARRAY['uuid']), ('require_audience', ARRAY['woes.audience[]', 'text']),
               ('require_channel', ARRAY['text']), ('require_context', ARRAY[]::text[]),
               ('guard_update', ARRAY[]::text[]), ('allocate_conversation_number', ARRAY[]::text[]))
       AS v (f, a)
 ORDER BY f;
-- the policy and API helpers run as the caller: the writers need them
SELECT function_privs_are('woes', f, a, 'woes_service', ARRAY['EXECUTE'], format('woes_service may execute woes.%s', f))
  FROM (VALUES ('in_workspace', ARRAY['uuid']), ('require_audience', ARRAY['woes.audience[]', 'text']),
               ('require_channel', ARRAY['text'])) AS v (f, a)
 ORDER BY f;
-- catalog-wide: whatever is documented as internal is not PUBLIC
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'woes'::regnamespace AND obj_description(p.oid, 'pg_proc') LIKE 'Internal%'
       AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) x
                                         WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'))
$$, 'no internal function is executable by PUBLIC');
-- no SECURITY DEFINER function is executable by PUBLIC
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'woes'::regnamespace AND p.prosecdef
       AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) x
                                         WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'))
$$, 'no SECURITY DEFINER function is executable by PUBLIC');
-- the context: set by woes_service and woes_admin, read by anyone
SELECT function_privs_are('woes', 'set_context', ARRAY['uuid', 'woes.audience', 'uuid', 'boolean'], r, p,
                          format('%s: set_context %s', r, coalesce(p[1], 'refused')))
  FROM (VALUES ('woes_service', ARRAY['EXECUTE']), ('woes_admin', ARRAY['EXECUTE']),
               ('woes_analyst', ARRAY[]::text[]), ('public', ARRAY[]::text[])) AS v (r, p)
 ORDER BY r;
SELECT function_privs_are('woes', f, ARRAY[]::text[], 'public', ARRAY['EXECUTE'], format('anyone may call woes.%s()', f))
  FROM unnest(ARRAY['current_workspace', 'current_audience', 'current_actor']) f ORDER BY f;
-- administration: woes_admin only
SELECT function_privs_are('woes', f, a, r, p, format('%s: %s %s', r, f, coalesce(p[1], 'refused')))
  FROM (VALUES ('bind_role', ARRAY['regrole', 'uuid', 'woes.audience', 'uuid']), ('unbind_role', ARRAY['regrole']),
               ('doctor', ARRAY[]::text[])) AS f (f, a),
       (VALUES ('woes_admin', ARRAY['EXECUTE']), ('woes_service', ARRAY[]::text[])) AS v (r, p)
 ORDER BY f, r;
-- the policies' fingerprints: woes_admin reads them (doctor() does);
-- nobody but the owner stamps one (COMMENT ON POLICY is the owner's)
SELECT function_privs_are('woes', 'policy_fingerprint', ARRAY['oid'], r, p,
                          format('%s: policy_fingerprint %s', r, coalesce(p[1], 'refused')))
  FROM (VALUES ('woes_admin', ARRAY['EXECUTE']), ('woes_service', ARRAY[]::text[]), ('public', ARRAY[]::text[])) AS v (r, p)
 ORDER BY r;
SELECT function_privs_are('woes', 'stamp_policy', ARRAY['regclass', 'name'], r, ARRAY[]::text[],
                          format('%s: stamp_policy refused', r))
  FROM unnest(ARRAY['woes_admin', 'woes_service', 'woes_analyst', 'public']) r
 ORDER BY r;
SELECT function_privs_are('woes', 'create_workspace', ARRAY['text', 'text'], r, p,
                          format('%s: create_workspace %s', r, coalesce(p[1], 'refused')))
  FROM (VALUES ('woes_service', ARRAY['EXECUTE']), ('woes_admin', ARRAY['EXECUTE']),
               ('woes_analyst', ARRAY[]::text[]), ('public', ARRAY[]::text[])) AS v (r, p)
 ORDER BY r;

--------------------------------------------------------------------------
-- The context settings: superuser-only, SET granted to the two roles
--------------------------------------------------------------------------
DO $$ BEGIN PERFORM woes.current_workspace(); END $$;   -- loads the library: the settings are defined
SELECT is(context, 'superuser', format('%s is a superuser-only setting', name))
  FROM pg_settings WHERE name IN ('woes.workspace', 'woes.audience', 'woes.actor') ORDER BY name;
SELECT is(has_parameter_privilege(r, s, 'SET'), r IN ('woes_service', 'woes_admin'),
          format('%s %s SET %s', r, CASE WHEN r IN ('woes_service', 'woes_admin') THEN 'may' ELSE 'may not' END, s))
  FROM unnest(ARRAY['woes.workspace', 'woes.audience', 'woes.actor']) s,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY s, r;

SELECT * FROM finish();
ROLLBACK;

-- pgTAP: the schema behind triage (0.2.0): the assignment history
-- (woes.assignments), the operators' loads that routing weighs
-- (woes.operator_loads), tag definitions (woes.tags) and the tags of each
-- conversation (woes.conversation_tags).  Their policies and the audiences
-- those name, row-level security, privileges (the two history tables are
-- written by the conversation trigger only: no role of the extension may
-- write them), keys and indexes, comments, and who may execute the
-- assignment, routing and tag functions.  Runs in one transaction that is
-- rolled back, so it leaves the database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(221);

-- the audiences a policy expression admits: the array literal given to
-- woes.in_audience(), sorted (NULL when the expression has none)
CREATE FUNCTION pg_temp.audiences(expr text) RETURNS text[]
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT array_agg(a ORDER BY a)
      FROM unnest(string_to_array((regexp_match(expr, 'in_audience\(''\{([^}]*)\}''::'))[1], ',')) a
$$;

-- the four tables and the policies each must have, with its command and the
-- audiences its USING and WITH CHECK name (NULL: the clause is absent)
CREATE TEMP TABLE triage_policies (tab name, pol name, cmd text, using_aud text[], check_aud text[]);
INSERT INTO triage_policies VALUES
    ('assignments',       'assignments_read',         'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('operator_loads',    'operator_loads_read',      'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('tags',              'tags_read',                'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('tags',              'tags_add',                 'INSERT', NULL, '{admin,agent,operator}'),
    ('tags',              'tags_change',              'UPDATE', '{admin,operator}', '{admin,operator}'),
    ('tags',              'tags_remove',              'DELETE', '{admin,operator}', NULL),
    ('conversation_tags', 'conversation_tags_read',   'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('conversation_tags', 'conversation_tags_add',    'INSERT', NULL, '{admin,agent,operator}'),
    ('conversation_tags', 'conversation_tags_remove', 'DELETE', '{admin,agent,operator}', NULL);

--------------------------------------------------------------------------
-- Policies: exactly these; isolation RESTRICTIVE for every command; one
-- read policy on each history table and nothing that would let anyone
-- write it
--------------------------------------------------------------------------
SELECT policies_are('woes', 'assignments', ARRAY['workspace_isolation', 'assignments_read'],
    'assignments has the isolation policy and a read policy, nothing else');
SELECT policies_are('woes', 'operator_loads', ARRAY['workspace_isolation', 'operator_loads_read'],
    'operator_loads has the isolation policy and a read policy, nothing else');
SELECT policies_are('woes', 'tags', ARRAY['workspace_isolation', 'tags_read', 'tags_add', 'tags_change', 'tags_remove'],
    'tags has the isolation policy and its audience policies');
SELECT policies_are('woes', 'conversation_tags',
    ARRAY['workspace_isolation', 'conversation_tags_read', 'conversation_tags_add', 'conversation_tags_remove'],
    'conversation_tags has the isolation policy and its audience policies');

-- each policy's command
SELECT policy_cmd_is('woes', tab, pol, cmd, format('%s: %s applies to %s', tab, pol, cmd))
  FROM triage_policies ORDER BY tab, pol;
SELECT policy_cmd_is('woes', t, 'workspace_isolation', 'ALL', format('%s: workspace_isolation applies to ALL', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t ORDER BY t;

-- every policy applies to every role (a policy TO some role would not
-- judge the others): the audience is in the expression, not the role list
-- (pg_policies.roles, not policy_roles_are: PUBLIC is no row of pg_roles)
SELECT is(p.roles, ARRAY['public']::name[], format('%s: %s applies to every role (TO PUBLIC)', e.tab, e.pol))
  FROM (SELECT tab, pol FROM triage_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t) e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;

-- isolation: RESTRICTIVE (no permissive policy can widen it), the context's
-- workspace for reading, in_workspace() for writing
SELECT is(p.permissive, 'RESTRICTIVE', format('%s: workspace_isolation is RESTRICTIVE', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;
SELECT ok(p.qual = '(workspace_id = woes.current_workspace())' AND p.with_check = 'woes.in_workspace(workspace_id)',
          format('%s: workspace_isolation admits and lets be written only the context''s workspace', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;

-- the audiences each policy names (read from the policy text, where
-- woes.in_audience('{...}') is the audience test)
SELECT is(pg_temp.audiences(p.qual), e.using_aud, format('%s: %s USING admits %s', e.tab, e.pol, coalesce(e.using_aud::text, 'nobody (no clause)')))
  FROM triage_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
SELECT is(pg_temp.audiences(p.with_check), e.check_aud, format('%s: %s WITH CHECK admits %s', e.tab, e.pol, coalesce(e.check_aud::text, 'nobody (no clause)')))
  FROM triage_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
-- and the clauses each has: a read or delete policy no WITH CHECK, an
-- insert policy no USING (so the audience tests above are all there is)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM triage_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NULL) <> (e.using_aud IS NULL) OR (p.with_check IS NULL) <> (e.check_aud IS NULL)
$$, 'the triage policies have exactly the USING and WITH CHECK clauses expected');
-- Citus makes every policy permissive on the shards: each permissive policy
-- carries the workspace test itself (folded in by 80_row_security.sql)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM triage_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NOT NULL AND p.qual NOT LIKE '((workspace_id = woes.current_workspace()) AND %')
        OR (p.with_check IS NOT NULL AND p.with_check NOT LIKE '(woes.in_workspace(workspace_id) AND %')
$$, 'every permissive triage policy carries the workspace test itself');
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM triage_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.permissive <> 'PERMISSIVE'
$$, 'the audience policies are permissive (only workspace_isolation is restrictive)');

-- row-level security: enabled and forced (the owner too)
SELECT ok(c.relrowsecurity AND c.relforcerowsecurity, format('%s: row-level security enabled and forced', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;

--------------------------------------------------------------------------
-- Table privileges
--------------------------------------------------------------------------
-- the history tables: read only, for the backend and admins, and
-- assignments for analysts too (woes_bi.routing_stats reads them)
SELECT CASE WHEN t = 'operator_loads' AND r = 'woes_analyst'
            THEN table_privs_are('woes', t, r, ARRAY[]::name[],
                                 'woes_analyst has no privilege on woes.operator_loads (no view of woes_bi reads it)')
            ELSE table_privs_are('woes', t, r, ARRAY['SELECT'], format('%s may only read woes.%s', r, t)) END
  FROM unnest(ARRAY['assignments', 'operator_loads']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r
 ORDER BY t, r;
-- tags: the backend and admins define, rename and remove them; tagging adds
-- and removes rows of conversation_tags (never updates them); analysts read
SELECT table_privs_are('woes', 'tags', r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.tags (row-level security decides which rows)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT table_privs_are('woes', 'conversation_tags', r, ARRAY['SELECT', 'INSERT', 'DELETE'],
                       format('%s may read, add and remove woes.conversation_tags, not update them', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT table_privs_are('woes', t, 'woes_analyst', ARRAY['SELECT'], format('woes_analyst may only read woes.%s', t))
  FROM unnest(ARRAY['tags', 'conversation_tags']) t ORDER BY t;
-- PUBLIC: nothing
SELECT table_privs_are('woes', t, 'public', ARRAY[]::name[], format('PUBLIC has no privilege on woes.%s', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t ORDER BY t;
-- ... nor on a column of them
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_attribute a, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid IN ('woes.assignments'::regclass, 'woes.operator_loads'::regclass,
                          'woes.tags'::regclass, 'woes.conversation_tags'::regclass)
$$, 'no column of the triage tables has privileges of its own');

-- TRUNCATE ignores row-level security: no role of the extension may, on any
-- of the four (and nobody but the owner holds it)
SELECT is(has_table_privilege(r, 'woes.' || t, 'TRUNCATE'), false, format('%s may not TRUNCATE woes.%s', r, t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY t, r;
SELECT is_empty($$
    SELECT c.relname || ': ' || x.grantee::regrole::text FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.oid IN ('woes.assignments'::regclass, 'woes.operator_loads'::regclass,
                     'woes.tags'::regclass, 'woes.conversation_tags'::regclass)
       AND x.grantee <> c.relowner AND x.privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER')
$$, 'nobody but the owner may TRUNCATE, REFERENCE or put triggers on the triage tables');

-- the history tables are written by the conversation trigger only: no role
-- of the extension may insert, update or delete a row, by table or column
SELECT is(has_table_privilege(r, 'woes.' || t, 'INSERT, UPDATE, DELETE')
          OR has_any_column_privilege(r, 'woes.' || t, 'INSERT, UPDATE'), false,
          format('%s may not write woes.%s (written by the conversation trigger only)', r, t))
  FROM unnest(ARRAY['assignments', 'operator_loads']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY t, r;
SELECT is_empty($$
    SELECT c.relname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid IN ('woes.assignments'::regclass, 'woes.operator_loads'::regclass)
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on the history tables');
-- nor the identity sequence of the assignment history
SELECT sequence_privs_are('woes', 'assignments_id_seq', r, ARRAY[]::name[],
                          format('%s has no privilege on woes.assignments_id_seq', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r ORDER BY r;

--------------------------------------------------------------------------
-- Comments: the tables, every policy (the mark 'Defined by woes.' tells
-- woes's own policies from a DBA's), the functions
--------------------------------------------------------------------------
SELECT ok(coalesce(obj_description(c.oid, 'pg_class'), '') <> '', format('woes.%s has a comment', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;
SELECT ok(coalesce(obj_description(p.oid, 'pg_policy'), '') LIKE 'Defined by woes. _%',
          format('policy %s on %s has a comment starting ''Defined by woes.''', e.pol, e.tab))
  FROM (SELECT tab, pol FROM triage_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t) e
  LEFT JOIN pg_policy p ON p.polrelid = to_regclass('woes.' || e.tab) AND p.polname = e.pol
 ORDER BY e.tab, e.pol;
SELECT ok(coalesce(obj_description(f, 'pg_proc'), '') <> '', format('%s has a comment', f))
  FROM unnest(ARRAY['woes.assign(uuid, uuid, uuid, text)', 'woes.unassign(uuid, text)', 'woes.route(uuid, uuid)',
                    'woes.define_tag(text, text, text)', 'woes.tag(uuid, text)', 'woes.untag(uuid, text)',
                    'woes.tag_for(uuid, text, boolean)', 'woes.link_event()']::regprocedure[]) f
 ORDER BY f::text;

--------------------------------------------------------------------------
-- Functions: the API is for the backend and admins; never PUBLIC, never
-- analysts
--------------------------------------------------------------------------
CREATE TEMP TABLE triage_api (f name, args text[]);
INSERT INTO triage_api VALUES
    ('assign',     ARRAY['uuid', 'uuid', 'uuid', 'text']),
    ('unassign',   ARRAY['uuid', 'text']),
    ('route',      ARRAY['uuid', 'uuid']),
    ('define_tag', ARRAY['text', 'text', 'text']),
    ('tag',        ARRAY['uuid', 'text']),
    ('untag',      ARRAY['uuid', 'text']);

SELECT function_privs_are('woes', f, args, r, ARRAY['EXECUTE'], format('%s may execute woes.%s', r, f))
  FROM triage_api, unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY f, r;
SELECT function_privs_are('woes', f, args, r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM triage_api, unnest(ARRAY['woes_analyst', 'public']) r
 ORDER BY f, r;
-- nor through the catalog: no grant to PUBLIC (grantee 0) on any of them or
-- on the internal tag helpers
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE p.oid IN ('woes.assign(uuid, uuid, uuid, text)'::regprocedure, 'woes.unassign(uuid, text)'::regprocedure,
                     'woes.route(uuid, uuid)'::regprocedure, 'woes.define_tag(text, text, text)'::regprocedure,
                     'woes.tag(uuid, text)'::regprocedure, 'woes.untag(uuid, text)'::regprocedure,
                     'woes.tag_for(uuid, text, boolean)'::regprocedure, 'woes.link_event()'::regprocedure)
       AND x.grantee = 0
$$, 'PUBLIC holds EXECUTE on none of the triage functions');
-- tag_for, the internal helper of tag and untag (run as the caller): the
-- backend and admins, not analysts; the trigger function: the owner only
SELECT function_privs_are('woes', 'tag_for', ARRAY['uuid', 'text', 'boolean'], r, ARRAY['EXECUTE'],
                          format('%s may execute woes.tag_for', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT function_privs_are('woes', 'tag_for', ARRAY['uuid', 'text', 'boolean'], r, ARRAY[]::name[],
                          format('%s may not execute woes.tag_for', r))
  FROM unnest(ARRAY['woes_analyst', 'public']) r ORDER BY r;
SELECT function_privs_are('woes', 'link_event', ARRAY[]::name[], r, ARRAY[]::name[],
                          format('%s may not execute woes.link_event', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r ORDER BY r;

-- they run as the caller (row-level security applies to all they touch),
-- with a pinned search_path and row_security on
SELECT isnt_definer('woes', f, args, format('woes.%s is SECURITY INVOKER', f))
  FROM triage_api ORDER BY f;
SELECT isnt_definer('woes', 'tag_for', ARRAY['uuid', 'text', 'boolean'], 'woes.tag_for is SECURITY INVOKER');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.oid IN ('woes.assign(uuid, uuid, uuid, text)'::regprocedure, 'woes.unassign(uuid, text)'::regprocedure,
                     'woes.route(uuid, uuid)'::regprocedure, 'woes.define_tag(text, text, text)'::regprocedure,
                     'woes.tag(uuid, text)'::regprocedure, 'woes.untag(uuid, text)'::regprocedure,
                     'woes.tag_for(uuid, text, boolean)'::regprocedure)
       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp', 'row_security=on'], false)
$$, 'the triage SQL functions pin search_path and set row_security on');

--------------------------------------------------------------------------
-- Keys, foreign keys and indexes
--------------------------------------------------------------------------
-- primary keys lead with workspace_id (the distribution column on Citus)
SELECT col_is_pk('woes', 'assignments', ARRAY['workspace_id', 'conversation_id', 'id'],
    'assignments: primary key (workspace_id, conversation_id, id)');
SELECT col_is_pk('woes', 'operator_loads', ARRAY['workspace_id', 'operator_id'],
    'operator_loads: primary key (workspace_id, operator_id)');
SELECT col_is_pk('woes', 'tags', ARRAY['workspace_id', 'id'],
    'tags: primary key (workspace_id, id)');
SELECT col_is_pk('woes', 'conversation_tags', ARRAY['workspace_id', 'conversation_id', 'tag_id'],
    'conversation_tags: primary key (workspace_id, conversation_id, tag_id)');
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i
     WHERE i.indrelid IN ('woes.assignments'::regclass, 'woes.operator_loads'::regclass,
                          'woes.tags'::regclass, 'woes.conversation_tags'::regclass)
       AND i.indkey[0] <> (SELECT a.attnum FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'workspace_id')
$$, 'every index of the triage tables leads with workspace_id');
SELECT col_type_is('woes', t, 'workspace_id', 'uuid', format('%s.workspace_id is uuid', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t ORDER BY t;
SELECT col_not_null('woes', t, 'workspace_id', format('%s.workspace_id is NOT NULL', t))
  FROM unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags']) t ORDER BY t;

-- foreign keys: the history outlives operators and teams (none to them);
-- the assignment made with a conversation is written just before it
-- (deferred); loads and tags go with their operator, conversation or tag
SELECT fk_ok('woes', 'assignments', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'assignments refer to their conversation');
SELECT ok(condeferrable AND condeferred AND confdeltype = 'c',
          'assignments -> conversations is DEFERRABLE INITIALLY DEFERRED, ON DELETE CASCADE')
  FROM pg_constraint
 WHERE conrelid = 'woes.assignments'::regclass AND contype = 'f' AND confrelid = 'woes.conversations'::regclass;
SELECT is_empty($$
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'woes.assignments'::regclass AND contype = 'f'
       AND confrelid <> 'woes.conversations'::regclass
$$, 'assignments have no foreign key but to conversations (the history outlives operators and teams)');
SELECT fk_ok('woes', 'operator_loads', ARRAY['workspace_id', 'operator_id'],
             'woes', 'operators', ARRAY['workspace_id', 'id'],
             'operator_loads refer to their operator');
SELECT fk_ok('woes', 'conversation_tags', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'conversation_tags refer to their conversation');
SELECT fk_ok('woes', 'conversation_tags', ARRAY['workspace_id', 'tag_id'],
             'woes', 'tags', ARRAY['workspace_id', 'id'],
             'conversation_tags refer to their tag');
SELECT is(array_agg(confrelid::regclass::text || ':' || confdeltype::text ORDER BY confrelid::regclass::text),
          ARRAY['woes.conversations:c', 'woes.tags:c'],
          'a conversation''s tags go with the conversation or the tag (ON DELETE CASCADE)')
  FROM pg_constraint WHERE conrelid = 'woes.conversation_tags'::regclass AND contype = 'f';
SELECT is(confdeltype, 'c', 'an operator''s load goes with the operator (ON DELETE CASCADE)')
  FROM pg_constraint WHERE conrelid = 'woes.operator_loads'::regclass AND contype = 'f';

-- indexes: exactly these on the four tables
SELECT indexes_are('woes', 'assignments', ARRAY['assignments_pkey'], 'assignments has only its primary key index');
SELECT indexes_are('woes', 'operator_loads', ARRAY['operator_loads_pkey'], 'operator_loads has only its primary key index');
SELECT indexes_are('woes', 'tags', ARRAY['tags_pkey', 'tags_name_key'], 'tags has its primary key and name indexes');
SELECT indexes_are('woes', 'conversation_tags', ARRAY['conversation_tags_pkey', 'conversation_tags_tag_idx'],
    'conversation_tags has its primary key and tag indexes');
SELECT has_index('woes', 'assignments', 'assignments_pkey', ARRAY['workspace_id', 'conversation_id', 'id'],
    'a conversation''s assignment history is read by index');
SELECT has_index('woes', 'operator_loads', 'operator_loads_pkey', ARRAY['workspace_id', 'operator_id'],
    'an operator''s load is read by index');
-- a tag name is unique in its workspace, case-insensitive
SELECT has_index('woes', 'tags', 'tags_name_key', ARRAY['workspace_id', 'lower(name)'],
    'tags_name_key indexes (workspace_id, lower(name))');
SELECT index_is_unique('woes', 'tags', 'tags_name_key', 'tags_name_key is unique');
-- the conversations with a tag
SELECT has_index('woes', 'conversation_tags', 'conversation_tags_tag_idx', ARRAY['workspace_id', 'tag_id'],
    'conversation_tags_tag_idx indexes (workspace_id, tag_id)');
-- a team's queue, oldest waiting first, queued conversations only
SELECT has_index('woes', 'conversations', 'conversations_team_queue_idx',
    ARRAY['workspace_id', 'team_id', 'status', 'waiting_since'],
    'conversations_team_queue_idx indexes (workspace_id, team_id, status, waiting_since)');
SELECT is(pg_get_expr(i.indpred, i.indrelid), '(team_id IS NOT NULL)',
          'conversations_team_queue_idx holds only conversations in a team''s queue')
  FROM pg_index i WHERE i.indexrelid = 'woes.conversations_team_queue_idx'::regclass;

--------------------------------------------------------------------------
-- Triggers: frozen keys, writes only with a context, ids made by woes, the
-- tag events
--------------------------------------------------------------------------
SELECT triggers_are('woes', 'assignments', ARRAY['guard_update', 'require_context'],
    'assignments has the guard_update and require_context triggers');
SELECT triggers_are('woes', 'operator_loads', ARRAY['guard_update', 'require_context'],
    'operator_loads has the guard_update and require_context triggers');
SELECT triggers_are('woes', 'tags', ARRAY['guard_update', 'require_context', '_assign_id'],
    'tags has the guard_update, require_context and id triggers');
SELECT triggers_are('woes', 'conversation_tags', ARRAY['guard_update', 'require_context', 'tag_event'],
    'conversation_tags has the guard_update, require_context and tag_event triggers');
SELECT trigger_is('woes', 'conversation_tags', 'tag_event', 'woes', 'link_event',
    'conversation_tags.tag_event calls woes.link_event()');
SELECT is((SELECT encode(tgargs, 'escape') FROM pg_trigger
            WHERE tgrelid = 'woes.conversation_tags'::regclass AND tgname = 'tag_event'),
          E'conversation.tagged\\000conversation.untagged\\000tag_id\\000',
          'tag_event writes conversation.tagged and conversation.untagged with the tag_id');
-- tgtype: ROW (1) | INSERT (4) | DELETE (8), not BEFORE (2), not UPDATE (16)
SELECT is(tgtype::int, 13, 'tag_event fires AFTER INSERT OR DELETE, FOR EACH ROW')
  FROM pg_trigger WHERE tgrelid = 'woes.conversation_tags'::regclass AND tgname = 'tag_event';

--------------------------------------------------------------------------
-- Free text stays out of the planner's statistics; the tables (and the
-- history's identity) are registered for pg_dump
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname FROM pg_attribute a
     WHERE a.attrelid IN ('woes.assignments'::regclass, 'woes.operator_loads'::regclass,
                          'woes.tags'::regclass, 'woes.conversation_tags'::regclass)
       AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype)
            OR (SELECT ty.typcategory FROM pg_type ty WHERE ty.oid = a.atttypid) = 'A')
       AND a.attname <> 'actor_kind'
       AND coalesce(a.attstattarget, -1) <> 0
$$, 'the free text of the triage tables has statistics target 0');
SELECT ok(to_regclass('woes.' || t) = ANY (e.extconfig), format('woes.%s is registered for pg_dump', t))
  FROM pg_extension e, unnest(ARRAY['assignments', 'operator_loads', 'tags', 'conversation_tags', 'assignments_id_seq']) t
 WHERE e.extname = 'woes'
 ORDER BY t;

SELECT * FROM finish();
ROLLBACK;

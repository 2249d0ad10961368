-- pgTAP: the schema behind custom fields and macros (0.2.0): the field
-- definitions of a workspace (woes.field_definitions), the values of each
-- conversation (woes.conversation_fields, judged by the C trigger of
-- src/fields.c) and the macros (woes.macros).  Their policies and the
-- audiences those name (no customer: the values live in a table of their
-- own because no customer policy may reach them), row-level security,
-- privileges, keys and indexes, triggers, comments, and who may execute
-- the field and macro functions and how they run.  Runs in one transaction
-- that is rolled back, so it leaves the database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(225);

-- the audiences a policy expression admits: the array literal given to
-- woes.in_audience(), sorted (NULL when the expression has none)
CREATE FUNCTION pg_temp.audiences(expr text) RETURNS text[]
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT array_agg(a ORDER BY a)
      FROM unnest(string_to_array((regexp_match(expr, 'in_audience\(''\{([^}]*)\}''::'))[1], ',')) a
$$;

-- the three tables and the policies each must have, with its command and
-- the audiences its USING and WITH CHECK name (NULL: the clause is absent;
-- a FOR ALL policy gets its USING as WITH CHECK from 80_row_security.sql)
CREATE TEMP TABLE fm_policies (tab name, pol name, cmd text, using_aud text[], check_aud text[]);
INSERT INTO fm_policies VALUES
    ('field_definitions',   'field_definitions_read',    'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('field_definitions',   'field_definitions_write',   'ALL',    '{admin,operator}', '{admin,operator}'),
    ('conversation_fields', 'conversation_fields_read',  'SELECT', '{admin,agent,operator}', NULL),
    ('conversation_fields', 'conversation_fields_write', 'ALL',    '{admin,operator}', '{admin,operator}'),
    ('macros',              'macros_operators',          'ALL',    '{admin,operator}', '{admin,operator}');

--------------------------------------------------------------------------
-- Policies: exactly these; isolation RESTRICTIVE for every command; no
-- policy that admits a customer
--------------------------------------------------------------------------
SELECT policies_are('woes', 'field_definitions',
    ARRAY['workspace_isolation', 'field_definitions_read', 'field_definitions_write'],
    'field_definitions has the isolation policy and its audience policies, nothing else');
SELECT policies_are('woes', 'conversation_fields',
    ARRAY['workspace_isolation', 'conversation_fields_read', 'conversation_fields_write'],
    'conversation_fields has the isolation policy and its audience policies, nothing else');
SELECT policies_are('woes', 'macros', ARRAY['workspace_isolation', 'macros_operators'],
    'macros has the isolation policy and the operators'' policy, nothing else');

-- each policy's command
SELECT policy_cmd_is('woes', tab, pol, cmd, format('%s: %s applies to %s', tab, pol, cmd))
  FROM fm_policies ORDER BY tab, pol;
SELECT policy_cmd_is('woes', t, 'workspace_isolation', 'ALL', format('%s: workspace_isolation applies to ALL', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t ORDER BY t;

-- every policy applies to every role (a policy TO some role would not
-- judge the others): the audience is in the expression, not the role list
SELECT is(p.roles, ARRAY['public']::name[], format('%s: %s applies to every role (TO PUBLIC)', e.tab, e.pol))
  FROM (SELECT tab, pol FROM fm_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t) e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;

-- isolation: RESTRICTIVE (no permissive policy can widen it), the context's
-- workspace for reading, in_workspace() for writing
SELECT is(p.permissive, 'RESTRICTIVE', format('%s: workspace_isolation is RESTRICTIVE', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;
SELECT ok(p.qual = '(workspace_id = woes.current_workspace())' AND p.with_check = 'woes.in_workspace(workspace_id)',
          format('%s: workspace_isolation admits and lets be written only the context''s workspace', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;

-- the audiences each policy names (read from the policy text, where
-- woes.in_audience('{...}') is the audience test)
SELECT is(pg_temp.audiences(p.qual), e.using_aud, format('%s: %s USING admits %s', e.tab, e.pol, coalesce(e.using_aud::text, 'nobody (no clause)')))
  FROM fm_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
SELECT is(pg_temp.audiences(p.with_check), e.check_aud, format('%s: %s WITH CHECK admits %s', e.tab, e.pol, coalesce(e.check_aud::text, 'nobody (no clause)')))
  FROM fm_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
-- and the clauses each has: a read policy no WITH CHECK, a FOR ALL policy
-- both (so the audience tests above are all there is)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM fm_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NULL) <> (e.using_aud IS NULL) OR (p.with_check IS NULL) <> (e.check_aud IS NULL)
$$, 'the field and macro policies have exactly the USING and WITH CHECK clauses expected');
-- Citus makes every policy permissive on the shards: each permissive policy
-- carries the workspace test itself (folded in by 80_row_security.sql)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM fm_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NOT NULL AND p.qual NOT LIKE '((workspace_id = woes.current_workspace()) AND %')
        OR (p.with_check IS NOT NULL AND p.with_check NOT LIKE '(woes.in_workspace(workspace_id) AND %')
$$, 'every permissive field and macro policy carries the workspace test itself');
-- ... and nothing but it and one audience test (no second in_audience()
-- or other condition the audience parse above would not see)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM fm_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.qual !~ '^\(\(workspace_id = woes\.current_workspace\(\)\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
        OR p.with_check !~ '^\(woes\.in_workspace\(workspace_id\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
$$, 'each field and macro policy clause is the workspace test and one audience test, nothing else');
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM fm_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.permissive <> 'PERMISSIVE'
$$, 'the audience policies are permissive (only workspace_isolation is restrictive)');

-- the values live in a table of their own so that no customer policy
-- reaches them: no policy of the three tables admits a customer, by any
-- audience list or any other test of who the caller is
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p,
           LATERAL (SELECT m[1] AS list
                      FROM regexp_matches(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                          'in_audience\(''\{([^}]*)\}''', 'g') m) l
     WHERE p.schemaname = 'woes' AND p.tablename IN ('field_definitions', 'conversation_fields', 'macros')
       AND 'customer' = ANY (string_to_array(l.list, ','))
$$, 'no policy of field_definitions, conversation_fields or macros names the customer audience');
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename IN ('field_definitions', 'conversation_fields', 'macros')
       AND coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') ~ '(customer|contact|current_actor|can_see)'
$$, 'no policy of field_definitions, conversation_fields or macros tests for a customer or contact');

-- row-level security: enabled and forced (the owner too)
SELECT ok(c.relrowsecurity AND c.relforcerowsecurity, format('%s: row-level security enabled and forced', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;

--------------------------------------------------------------------------
-- Table privileges
--------------------------------------------------------------------------
-- fields: the backend and admins define fields and set values (row-level
-- security decides which rows, the triggers which values); analysts read
-- the definitions, never a conversation's value (aggregates only)
SELECT table_privs_are('woes', t, r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.%s (row-level security decides which rows)', r, t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields']) t,
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY t, r;
-- analysts: the definitions and the values only as the aggregates of woes_bi
SELECT table_privs_are('woes', 'field_definitions', 'woes_analyst', ARRAY[]::name[], 'woes_analyst has no privilege on woes.field_definitions (woes_bi.fields)');
SELECT table_privs_are('woes', 'conversation_fields', 'woes_analyst', ARRAY[]::name[], 'woes_analyst has no privilege on woes.conversation_fields');
-- macros: the backend and admins; analysts nothing (nor do they see them)
SELECT table_privs_are('woes', 'macros', r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.macros (row-level security decides which rows)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT table_privs_are('woes', 'macros', 'woes_analyst', ARRAY[]::name[], 'woes_analyst has no privilege on woes.macros');
SELECT is(has_table_privilege('woes_analyst', 'woes.macros', 'SELECT')
          OR has_any_column_privilege('woes_analyst', 'woes.macros', 'SELECT'), false,
          'woes_analyst may not read woes.macros, by table or column');
-- PUBLIC: nothing
SELECT table_privs_are('woes', t, 'public', ARRAY[]::name[], format('PUBLIC has no privilege on woes.%s', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t ORDER BY t;
-- ... nor on a column of them
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_attribute a, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid IN ('woes.field_definitions'::regclass, 'woes.conversation_fields'::regclass,
                          'woes.macros'::regclass)
$$, 'no column of the field and macro tables has privileges of its own');

-- TRUNCATE ignores row-level security (and the triggers that judge every
-- value): no role of the extension may, on any of the three
SELECT is(has_table_privilege(r, 'woes.' || t, 'TRUNCATE'), false, format('%s may not TRUNCATE woes.%s', r, t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY t, r;
SELECT is_empty($$
    SELECT c.relname || ': ' || x.grantee::regrole::text FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.oid IN ('woes.field_definitions'::regclass, 'woes.conversation_fields'::regclass,
                     'woes.macros'::regclass)
       AND x.grantee <> c.relowner AND x.privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER')
$$, 'nobody but the owner may TRUNCATE, REFERENCE or put triggers on the field and macro tables');

--------------------------------------------------------------------------
-- Comments: the tables, every policy (the mark 'Defined by woes.' tells
-- woes's own policies from a DBA's), the functions
--------------------------------------------------------------------------
SELECT ok(coalesce(obj_description(c.oid, 'pg_class'), '') <> '', format('woes.%s has a comment', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;
SELECT ok(coalesce(obj_description(p.oid, 'pg_policy'), '') LIKE 'Defined by woes. _%',
          format('policy %s on %s has a comment starting ''Defined by woes.''', e.pol, e.tab))
  FROM (SELECT tab, pol FROM fm_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t) e
  LEFT JOIN pg_policy p ON p.polrelid = to_regclass('woes.' || e.tab) AND p.polname = e.pol
 ORDER BY e.tab, e.pol;
SELECT ok(coalesce(obj_description(f, 'pg_proc'), '') <> '', format('%s has a comment', f))
  FROM unnest(ARRAY['woes.define_field(text, text, jsonb, boolean)', 'woes.drop_field(text, boolean)',
                    'woes.set_field(uuid, text, jsonb)', 'woes.fields(uuid)',
                    'woes.field_problem(text, text[], jsonb)', 'woes.field_definition_check()',
                    'woes.field_value()', 'woes.field_event()',
                    'woes.macro_problem(jsonb)', 'woes.macro_check()',
                    'woes.define_macro(text, jsonb, text)', 'woes.apply_macro(uuid, text)']::regprocedure[]) f
 ORDER BY f::text;

--------------------------------------------------------------------------
-- Functions: the API is for the backend and admins; never PUBLIC, never
-- analysts; the trigger functions for nobody
--------------------------------------------------------------------------
CREATE TEMP TABLE fm_api (f name, args text[]);
INSERT INTO fm_api VALUES
    ('define_field',  ARRAY['text', 'text', 'jsonb', 'boolean']),
    ('drop_field',    ARRAY['text', 'boolean']),
    ('set_field',     ARRAY['uuid', 'text', 'jsonb']),
    ('fields',        ARRAY['uuid']),
    ('field_problem', ARRAY['text', 'text[]', 'jsonb']),
    ('macro_problem', ARRAY['jsonb']),
    ('define_macro',  ARRAY['text', 'jsonb', 'text']),
    ('apply_macro',   ARRAY['uuid', 'text']);

SELECT function_privs_are('woes', f, args, r, ARRAY['EXECUTE'], format('%s may execute woes.%s', r, f))
  FROM fm_api, unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY f, r;
SELECT function_privs_are('woes', f, args, r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM fm_api, unnest(ARRAY['woes_analyst', 'public']) r
 ORDER BY f, r;
-- nor through the catalog: no grant to PUBLIC (grantee 0) on any of them or
-- on the trigger functions
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE p.oid IN ('woes.define_field(text, text, jsonb, boolean)'::regprocedure,
                     'woes.drop_field(text, boolean)'::regprocedure, 'woes.set_field(uuid, text, jsonb)'::regprocedure,
                     'woes.fields(uuid)'::regprocedure, 'woes.field_problem(text, text[], jsonb)'::regprocedure,
                     'woes.field_definition_check()'::regprocedure, 'woes.field_value()'::regprocedure,
                     'woes.field_event()'::regprocedure, 'woes.macro_problem(jsonb)'::regprocedure,
                     'woes.macro_check()'::regprocedure, 'woes.define_macro(text, jsonb, text)'::regprocedure,
                     'woes.apply_macro(uuid, text)'::regprocedure)
       AND x.grantee = 0
$$, 'PUBLIC holds EXECUTE on none of the field and macro functions');
-- the trigger functions: the owner only
SELECT function_privs_are('woes', f, ARRAY[]::name[], r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM unnest(ARRAY['field_definition_check', 'field_value', 'field_event', 'macro_check']) f,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY f, r;

-- the API runs as the caller (row-level security applies to all it
-- touches: a macro never does what its caller could not)
SELECT isnt_definer('woes', f, args, format('woes.%s is SECURITY INVOKER', f))
  FROM fm_api ORDER BY f;
SELECT isnt_definer('woes', f, ARRAY[]::name[], format('woes.%s is SECURITY INVOKER', f))
  FROM unnest(ARRAY['field_value', 'field_event', 'macro_check']) f ORDER BY f;
-- the definition check counts every stored value of the field, whoever
-- changes the definition: it runs as the owner, with a pinned search_path
SELECT is_definer('woes', 'field_definition_check', ARRAY[]::name[], 'woes.field_definition_check is SECURITY DEFINER');
SELECT ok(coalesce((SELECT p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] FROM pg_proc p
                      WHERE p.oid = to_regprocedure('woes.field_definition_check()')), false),
          'woes.field_definition_check (SECURITY DEFINER) pins search_path');
-- the API functions that write: pinned search_path, row_security on (no
-- session can make their triggers take a call for a restore)
SELECT ok(coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp', 'row_security=on'], false),
          format('%s pins search_path and sets row_security on', p.oid::regprocedure))
  FROM unnest(ARRAY['woes.apply_macro(uuid, text)', 'woes.define_field(text, text, jsonb, boolean)',
                    'woes.define_macro(text, jsonb, text)', 'woes.drop_field(text, boolean)',
                    'woes.set_field(uuid, text, jsonb)']::regprocedure[]) f
  LEFT JOIN pg_proc p ON p.oid = f
 ORDER BY f::text;
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.oid IN ('woes.fields(uuid)'::regprocedure, 'woes.field_problem(text, text[], jsonb)'::regprocedure,
                     'woes.macro_problem(jsonb)'::regprocedure, 'woes.macro_check()'::regprocedure)
       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
$$, 'the other SQL field and macro functions pin search_path');
-- the trigger functions leave row_security to the session: that is where a
-- real restore is recognised (woes.restoring())
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, unnest(p.proconfig) s
     WHERE p.oid IN ('woes.field_definition_check()'::regprocedure, 'woes.macro_check()'::regprocedure,
                     'woes.field_value()'::regprocedure, 'woes.field_event()'::regprocedure)
       AND s LIKE 'row\_security=%'
$$, 'the field and macro trigger functions do not set row_security');

--------------------------------------------------------------------------
-- Keys, foreign keys and indexes
--------------------------------------------------------------------------
-- primary keys lead with workspace_id (the distribution column on Citus)
SELECT col_is_pk('woes', 'field_definitions', ARRAY['workspace_id', 'id'],
    'field_definitions: primary key (workspace_id, id)');
SELECT col_is_pk('woes', 'conversation_fields', ARRAY['workspace_id', 'conversation_id', 'key'],
    'conversation_fields: primary key (workspace_id, conversation_id, key)');
SELECT col_is_pk('woes', 'macros', ARRAY['workspace_id', 'id'],
    'macros: primary key (workspace_id, id)');
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i
     WHERE i.indrelid IN ('woes.field_definitions'::regclass, 'woes.conversation_fields'::regclass,
                          'woes.macros'::regclass)
       AND i.indkey[0] <> (SELECT a.attnum FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'workspace_id')
$$, 'every index of the field and macro tables leads with workspace_id');
SELECT col_type_is('woes', t, 'workspace_id', 'uuid', format('%s.workspace_id is uuid', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t ORDER BY t;
SELECT col_not_null('woes', t, 'workspace_id', format('%s.workspace_id is NOT NULL', t))
  FROM unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t ORDER BY t;

-- a field key is unique in its workspace (define_field upserts on it, and
-- the values refer to it)
SELECT col_is_unique('woes', 'field_definitions', ARRAY['workspace_id', 'key'],
    'field_definitions: (workspace_id, key) is unique');
-- the values of one field, which a definition change checks
SELECT has_index('woes', 'conversation_fields', 'conversation_fields_key_idx', ARRAY['workspace_id', 'key'],
    'conversation_fields_key_idx indexes (workspace_id, key)');
SELECT is((SELECT i.indisunique FROM pg_index i WHERE i.indexrelid = to_regclass('woes.conversation_fields_key_idx')),
          false, 'conversation_fields_key_idx is not unique (many conversations set one field)');
-- a macro name is unique in its workspace, case-insensitive
SELECT has_index('woes', 'macros', 'macros_name_key', ARRAY['workspace_id', 'lower(name)'],
    'macros_name_key indexes (workspace_id, lower(name))');
SELECT index_is_unique('woes', 'macros', 'macros_name_key', 'macros_name_key is unique');
-- indexes: exactly these on the three tables
SELECT indexes_are('woes', 'field_definitions', ARRAY['field_definitions_pkey', 'field_definitions_workspace_id_key_key'],
    'field_definitions has its primary key and key indexes');
SELECT indexes_are('woes', 'conversation_fields', ARRAY['conversation_fields_pkey', 'conversation_fields_key_idx'],
    'conversation_fields has its primary key and key indexes');
SELECT indexes_are('woes', 'macros', ARRAY['macros_pkey', 'macros_name_key'],
    'macros has its primary key and name indexes');

-- foreign keys: values go with their conversation; a definition with values
-- is not removed (NO ACTION: the backstop of field_definition_check)
SELECT fk_ok('woes', 'conversation_fields', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'conversation_fields refer to their conversation');
SELECT fk_ok('woes', 'conversation_fields', ARRAY['workspace_id', 'key'],
             'woes', 'field_definitions', ARRAY['workspace_id', 'key'],
             'conversation_fields refer to their field definition');
SELECT is(array_agg(confrelid::regclass::text || ':' || confdeltype::text ORDER BY confrelid::regclass::text),
          ARRAY['woes.conversations:c', 'woes.field_definitions:a'],
          'a conversation''s values go with it (ON DELETE CASCADE); a field with values stays (NO ACTION)')
  FROM pg_constraint WHERE conrelid = 'woes.conversation_fields'::regclass AND contype = 'f';
SELECT ok(coalesce((SELECT bool_and(confupdtype = 'a' AND NOT condeferrable) FROM pg_constraint
                      WHERE conrelid = 'woes.conversation_fields'::regclass AND contype = 'f'
                        AND confrelid = 'woes.field_definitions'::regclass), false),
          'conversation_fields -> field_definitions is NO ACTION on update too, and not deferrable');
SELECT fk_ok('woes', t, ARRAY['workspace_id'], 'woes', 'workspaces', ARRAY['id'],
             format('%s refer to their workspace', t))
  FROM unnest(ARRAY['field_definitions', 'macros']) t ORDER BY t;

--------------------------------------------------------------------------
-- Triggers: frozen keys, writes only with a context, ids made by woes, the
-- checks of definitions, values and macros, the field events
--------------------------------------------------------------------------
SELECT triggers_are('woes', 'field_definitions',
    ARRAY['_assign_id', 'field_definition_check', 'guard_update', 'require_context'],
    'field_definitions has the id, definition check, guard_update and require_context triggers');
SELECT triggers_are('woes', 'conversation_fields',
    ARRAY['field_event', 'guard_update', 'require_context', 'value_check'],
    'conversation_fields has the field_event, guard_update, require_context and value_check triggers');
SELECT triggers_are('woes', 'macros',
    ARRAY['_assign_id', 'guard_update', 'macro_check', 'require_context'],
    'macros has the id, guard_update, macro_check and require_context triggers');

-- each trigger's function and when it fires; tgtype: ROW (1), BEFORE (2),
-- INSERT (4), DELETE (8), UPDATE (16)
CREATE TEMP TABLE fm_triggers (tab name, trg name, func name, tgtype int, fires text);
INSERT INTO fm_triggers VALUES
    ('field_definitions',   '_assign_id',             'assign_id',              7, 'BEFORE INSERT, FOR EACH ROW'),
    ('field_definitions',   'field_definition_check', 'field_definition_check', 31, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH ROW'),
    ('field_definitions',   'guard_update',           'guard_update',           19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('field_definitions',   'require_context',        'require_context',        30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT'),
    ('conversation_fields', 'field_event',            'field_event',            29, 'AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW'),
    ('conversation_fields', 'guard_update',           'guard_update',           19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('conversation_fields', 'require_context',        'require_context',        30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT'),
    ('conversation_fields', 'value_check',            'field_value',            31, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH ROW'),
    ('macros',              '_assign_id',             'assign_id',              7, 'BEFORE INSERT, FOR EACH ROW'),
    ('macros',              'guard_update',           'guard_update',           19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('macros',              'macro_check',            'macro_check',            23, 'BEFORE INSERT OR UPDATE, FOR EACH ROW'),
    ('macros',              'require_context',        'require_context',        30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT');
SELECT trigger_is('woes', tab, trg, 'woes', func, format('%s.%s calls woes.%s()', tab, trg, func))
  FROM fm_triggers ORDER BY tab, trg;
SELECT is(t.tgtype::int, e.tgtype, format('%s.%s fires %s', e.tab, e.trg, e.fires))
  FROM fm_triggers e
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg
 ORDER BY e.tab, e.trg;
-- a macro is checked when its actions are written (UPDATE OF actions)
SELECT is((SELECT array(SELECT a.attname FROM unnest(t.tgattr::int2[]) k
                          JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k)
             FROM pg_trigger t WHERE t.tgrelid = 'woes.macros'::regclass AND t.tgname = 'macro_check'),
          ARRAY['actions']::name[], 'macros.macro_check fires on an update of actions (only)');
-- the frozen columns: the key (and a field's key, which values refer to)
SELECT is(pg_get_triggerdef(t.oid), format('CREATE TRIGGER guard_update BEFORE UPDATE ON woes.%s FOR EACH ROW EXECUTE FUNCTION woes.guard_update(%s)', e.tab, e.args),
          format('%s.guard_update freezes %s', e.tab, e.args))
  FROM (VALUES ('conversation_fields', '''workspace_id'', ''conversation_id'', ''key'''),
               ('field_definitions',   '''workspace_id'', ''id'', ''key'', ''created_at'''),
               ('macros',              '''workspace_id'', ''id'', ''created_at''')) e(tab, args)
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = 'guard_update'
 ORDER BY e.tab;
SELECT is_empty($$
    SELECT t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t
     WHERE t.tgrelid IN ('woes.field_definitions'::regclass, 'woes.conversation_fields'::regclass,
                         'woes.macros'::regclass)
       AND t.tgenabled <> 'O'
$$, 'every trigger of the field and macro tables is enabled');

--------------------------------------------------------------------------
-- The values live where no customer policy reaches: woes.conversations
-- has no custom_fields column any more, nor does any relation of woes
--------------------------------------------------------------------------
SELECT hasnt_column('woes', 'conversations', 'custom_fields', 'woes.conversations has no column custom_fields');
SELECT is_empty($$
    SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = 'woes'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname = 'custom_fields'
$$, 'no table or view of woes has a custom_fields column');

--------------------------------------------------------------------------
-- Free text stays out of the planner's statistics; the tables are
-- registered for pg_dump
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname FROM pg_attribute a
     WHERE a.attrelid IN ('woes.field_definitions'::regclass, 'woes.conversation_fields'::regclass,
                          'woes.macros'::regclass)
       AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype)
            OR (SELECT ty.typcategory FROM pg_type ty WHERE ty.oid = a.atttypid) = 'A')
       AND coalesce(a.attstattarget, -1) <> 0
$$, 'the free text of the field and macro tables has statistics target 0');
SELECT ok(to_regclass('woes.' || t) = ANY (e.extconfig), format('woes.%s is registered for pg_dump', t))
  FROM pg_extension e, unnest(ARRAY['field_definitions', 'conversation_fields', 'macros']) t
 WHERE e.extname = 'woes'
 ORDER BY t;

SELECT * FROM finish();
ROLLBACK;

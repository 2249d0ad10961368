-- Functions and documentation: pinned search_path, volatility and PARALLEL
-- markings, SECURITY DEFINER only where intended, C symbols, the enum
-- types' operator classes, and a COMMENT on every public object.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
SELECT plan(47);

-- every function that is not C pins its search_path (C functions make no
-- unqualified name lookups)
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'woes'::regnamespace AND l.lanname NOT IN ('c', 'internal')
       AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false)
$$, 'every non-C function in schema woes has SET search_path = pg_catalog, pg_temp');
SELECT cmp_ok((SELECT count(*) FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
                WHERE p.pronamespace = 'woes'::regnamespace AND l.lanname IN ('plpgsql', 'sql')), '>=', 10::bigint,
              'schema woes has its SQL and PL/pgSQL functions');
-- every SQL-callable C symbol is prefixed woes_ and comes from the module
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
     WHERE p.pronamespace = 'woes'::regnamespace AND l.lanname = 'c'
       AND (p.prosrc NOT LIKE 'woes\_%' OR p.probin NOT LIKE '%woes')
$$, 'every C function binds a woes_ symbol of the woes module');

-- the context functions: cheap, STABLE, PARALLEL SAFE (they are read in
-- policies and inside parallel workers)
SELECT volatility_is('woes', f, ARRAY[]::text[], 'stable', format('woes.%s() is STABLE', f))
  FROM unnest(ARRAY['current_workspace', 'current_audience', 'current_actor']) f ORDER BY f;
SELECT is(p.proparallel, 's', format('%s is PARALLEL SAFE', p.oid::regprocedure))
  FROM pg_proc p
 WHERE p.pronamespace = 'woes'::regnamespace AND p.proname IN ('current_workspace', 'current_audience', 'current_actor')
 ORDER BY p.proname;
SELECT cmp_ok(p.procost, '<=', 1::real, format('%s costs at most 1', p.oid::regprocedure))
  FROM pg_proc p
 WHERE p.pronamespace = 'woes'::regnamespace AND p.proname IN ('current_workspace', 'current_audience', 'current_actor')
 ORDER BY p.proname;
-- setting the context changes state: VOLATILE, PARALLEL UNSAFE
SELECT volatility_is('woes', 'set_context', ARRAY['uuid', 'woes.audience', 'uuid', 'boolean'], 'volatile',
                     'woes.set_context() is VOLATILE');
SELECT volatility_is('woes', 'clear_context', ARRAY[]::text[], 'volatile', 'woes.clear_context() is VOLATILE');
SELECT is(p.proparallel, 'u', format('%s is PARALLEL UNSAFE', p.oid::regprocedure))
  FROM pg_proc p
 WHERE p.pronamespace = 'woes'::regnamespace AND p.proname IN ('set_context', 'clear_context')
 ORDER BY p.proname;
SELECT isnt_strict('woes', 'set_context', ARRAY['uuid', 'woes.audience', 'uuid', 'boolean'],
                   'set_context is not STRICT (a NULL actor is normal, NULL workspace gets an error)');
-- ids: a new one each call; the time in one is a pure function
SELECT volatility_is('woes', 'uuid_generate_v7', ARRAY[]::text[], 'volatile', 'woes.uuid_generate_v7() is VOLATILE');
SELECT volatility_is('woes', 'uuid_v7_time', ARRAY['uuid'], 'immutable', 'woes.uuid_v7_time() is IMMUTABLE');
SELECT is_strict('woes', 'uuid_v7_time', ARRAY['uuid'], 'woes.uuid_v7_time() is STRICT');
-- the policy helper
SELECT volatility_is('woes', 'in_workspace', ARRAY['uuid'], 'stable', 'woes.in_workspace() is STABLE');
-- the API verbs write: VOLATILE
SELECT volatility_is('woes', f, a, 'volatile', format('woes.%s() is VOLATILE', f))
  FROM (VALUES ('create_workspace', ARRAY['text', 'text']), ('add_operator', ARRAY['text', 'text']),
               ('add_team', ARRAY['text']), ('add_team_member', ARRAY['uuid', 'uuid']),
               ('add_agent', ARRAY['text', 'text[]']), ('upsert_contact', ARRAY['text', 'text', 'text', 'text']),
               ('bind_role', ARRAY['regrole', 'uuid', 'woes.audience', 'uuid'])) AS v (f, a)
 ORDER BY f;

-- SECURITY DEFINER only where a caller's rights cannot do: creating a
-- workspace (no context yet), role defaults of superuser-only settings,
-- and the conversation counter
SELECT is_definer('woes', f, a, format('woes.%s is SECURITY DEFINER', f))
  FROM (VALUES ('create_workspace', ARRAY['text', 'text']), ('bind_role', ARRAY['regrole', 'uuid', 'woes.audience', 'uuid']),
               ('unbind_role', ARRAY['regrole']), ('allocate_conversation_number', ARRAY[]::text[])) AS v (f, a)
 ORDER BY f;
SELECT isnt_definer('woes', f, a, format('woes.%s runs as the caller (row-level security applies)', f))
  FROM (VALUES ('add_operator', ARRAY['text', 'text']), ('add_team', ARRAY['text']),
               ('add_team_member', ARRAY['uuid', 'uuid']), ('add_agent', ARRAY['text', 'text[]']),
               ('upsert_contact', ARRAY['text', 'text', 'text', 'text']),
               ('set_context', ARRAY['uuid', 'woes.audience', 'uuid', 'boolean'])) AS v (f, a)
 ORDER BY f;

-- the enum types sort, group, hash and index: default btree and hash classes
SELECT is_empty($$
    SELECT t.typname || ' ' || am.amname
      FROM pg_type t CROSS JOIN pg_am am
     WHERE t.typnamespace = 'woes'::regnamespace AND t.typname IN ('status', 'audience', 'visibility', 'control')
       AND am.amname IN ('btree', 'hash')
       AND NOT EXISTS (SELECT FROM pg_opclass o WHERE o.opcintype = t.oid AND o.opcmethod = am.oid AND o.opcdefault)
$$, 'every woes enum type has default btree and hash operator classes');
SELECT is_empty($$
    SELECT o.oid::regoperator::text FROM pg_operator o
     WHERE o.oprnamespace = 'woes'::regnamespace AND o.oprname = '='
       AND NOT (o.oprcanhash AND o.oprcanmerge AND o.oprcom <> 0 AND o.oprnegate <> 0)
$$, 'every = of the enum types hashes, merges and has a commutator and negator');

-- a COMMENT on every public object of the schema
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p
     WHERE p.pronamespace = 'woes'::regnamespace AND coalesce(obj_description(p.oid, 'pg_proc'), '') = ''
$$, 'every function has a comment');
SELECT is_empty($$
    SELECT c.relname FROM pg_class c
     WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm')
       AND coalesce(obj_description(c.oid, 'pg_class'), '') = ''
$$, 'every table and view has a comment');
SELECT is_empty($$
    SELECT t.oid::regtype::text FROM pg_type t
     WHERE t.typnamespace = 'woes'::regnamespace AND t.typrelid = 0 AND t.typelem = 0
       AND coalesce(obj_description(t.oid, 'pg_type'), '') = ''
$$, 'every type has a comment');
SELECT is_empty($$
    SELECT o.oid::regoperator::text FROM pg_operator o
     WHERE o.oprnamespace = 'woes'::regnamespace AND coalesce(obj_description(o.oid, 'pg_operator'), '') = ''
$$, 'every operator has a comment');
SELECT is_empty($$
    SELECT o.opcname FROM pg_opclass o
     WHERE o.opcnamespace = 'woes'::regnamespace AND coalesce(obj_description(o.oid, 'pg_opclass'), '') = ''
$$, 'every operator class has a comment');
SELECT is_empty($$
    SELECT r.rolname FROM pg_roles r
     WHERE r.rolname IN ('woes_service', 'woes_admin', 'woes_analyst')
       AND coalesce(shobj_description(r.oid, 'pg_authid'), '') = ''
$$, 'the woes roles have comments');
SELECT isnt(obj_description(e.oid, 'pg_extension'), NULL, 'the extension has a comment')
  FROM pg_extension e WHERE e.extname = 'woes';

SELECT * FROM finish();
ROLLBACK;

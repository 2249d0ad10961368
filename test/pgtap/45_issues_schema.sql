-- pgTAP: the schema behind linked issues (0.2.0): the issues of a
-- workspace's trackers (woes.issues), their links to conversations
-- (woes.conversation_issues, whose rows the shared C trigger link_event
-- turns into outbox events), the state history (woes.issue_state_events,
-- written only by the C trigger issue_state of src/links.c) and the view
-- woes.issue_impact.  Their policies and the audiences those name (no
-- customer: customers see none of it), row-level security, privileges
-- (the history is written by the trigger only: no role of the extension
-- may write it), keys and indexes, triggers, the view's contract and how
-- it runs, comments, and who may execute the issue functions and how they
-- run.  Runs in one transaction that is rolled back, so it leaves the
-- database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(218);

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
CREATE TEMP TABLE issue_policies (tab name, pol name, cmd text, using_aud text[], check_aud text[]);
INSERT INTO issue_policies VALUES
    ('issues',              'issues_read',               'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('issues',              'issues_add',                'INSERT', NULL, '{admin,operator}'),
    ('issues',              'issues_change',             'UPDATE', '{admin,operator}', '{admin,operator}'),
    ('issues',              'issues_remove',             'DELETE', '{admin}', NULL),
    ('conversation_issues', 'conversation_issues_read',  'SELECT', '{admin,agent,analyst,operator}', NULL),
    ('conversation_issues', 'conversation_issues_write', 'ALL',    '{admin,operator}', '{admin,operator}'),
    ('issue_state_events',  'issue_state_events_read',   'SELECT', '{admin,agent,analyst,operator}', NULL);

--------------------------------------------------------------------------
-- Policies: exactly these; isolation RESTRICTIVE for every command; one
-- read policy on the history and nothing that would let anyone write it;
-- no policy that admits a customer
--------------------------------------------------------------------------
SELECT policies_are('woes', 'issues', ARRAY['workspace_isolation', 'issues_read', 'issues_add', 'issues_change', 'issues_remove'],
    'issues has the isolation policy and its audience policies, nothing else');
SELECT policies_are('woes', 'conversation_issues',
    ARRAY['workspace_isolation', 'conversation_issues_read', 'conversation_issues_write'],
    'conversation_issues has the isolation policy and its audience policies, nothing else');
SELECT policies_are('woes', 'issue_state_events', ARRAY['workspace_isolation', 'issue_state_events_read'],
    'issue_state_events has the isolation policy and a read policy, nothing else');

-- each policy's command
SELECT policy_cmd_is('woes', tab, pol, cmd, format('%s: %s applies to %s', tab, pol, cmd))
  FROM issue_policies ORDER BY tab, pol;
SELECT policy_cmd_is('woes', t, 'workspace_isolation', 'ALL', format('%s: workspace_isolation applies to ALL', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t ORDER BY t;

-- every policy applies to every role (a policy TO some role would not
-- judge the others): the audience is in the expression, not the role list
-- (pg_policies.roles, not policy_roles_are: PUBLIC is no row of pg_roles)
SELECT is(p.roles, ARRAY['public']::name[], format('%s: %s applies to every role (TO PUBLIC)', e.tab, e.pol))
  FROM (SELECT tab, pol FROM issue_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t) e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;

-- isolation: RESTRICTIVE (no permissive policy can widen it), the context's
-- workspace for reading, in_workspace() for writing
SELECT is(p.permissive, 'RESTRICTIVE', format('%s: workspace_isolation is RESTRICTIVE', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;
SELECT ok(p.qual = '(workspace_id = woes.current_workspace())' AND p.with_check = 'woes.in_workspace(workspace_id)',
          format('%s: workspace_isolation admits and lets be written only the context''s workspace', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = t AND p.policyname = 'workspace_isolation'
 ORDER BY t;

-- the audiences each policy names (read from the policy text, where
-- woes.in_audience('{...}') is the audience test)
SELECT is(pg_temp.audiences(p.qual), e.using_aud, format('%s: %s USING admits %s', e.tab, e.pol, coalesce(e.using_aud::text, 'nobody (no clause)')))
  FROM issue_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
SELECT is(pg_temp.audiences(p.with_check), e.check_aud, format('%s: %s WITH CHECK admits %s', e.tab, e.pol, coalesce(e.check_aud::text, 'nobody (no clause)')))
  FROM issue_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
-- and the clauses each has: a read policy no WITH CHECK, a FOR ALL policy
-- both (so the audience tests above are all there is)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM issue_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NULL) <> (e.using_aud IS NULL) OR (p.with_check IS NULL) <> (e.check_aud IS NULL)
$$, 'the issue policies have exactly the USING and WITH CHECK clauses expected');
-- Citus makes every policy permissive on the shards: each permissive policy
-- carries the workspace test itself (folded in by 80_row_security.sql)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM issue_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NOT NULL AND p.qual NOT LIKE '((workspace_id = woes.current_workspace()) AND %')
        OR (p.with_check IS NOT NULL AND p.with_check NOT LIKE '(woes.in_workspace(workspace_id) AND %')
$$, 'every permissive issue policy carries the workspace test itself');
-- ... and nothing but it and one audience test (no second in_audience()
-- or other condition the audience parse above would not see)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM issue_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.qual !~ '^\(\(workspace_id = woes\.current_workspace\(\)\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
        OR p.with_check !~ '^\(woes\.in_workspace\(workspace_id\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
$$, 'each issue policy clause is the workspace test and one audience test, nothing else');
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM issue_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.permissive <> 'PERMISSIVE'
$$, 'the audience policies are permissive (only workspace_isolation is restrictive)');

-- customers see none of it: no policy of the three tables admits a
-- customer, by any audience list or any other test of who the caller is
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p,
           LATERAL (SELECT m[1] AS list
                      FROM regexp_matches(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                          'in_audience\(''\{([^}]*)\}''', 'g') m) l
     WHERE p.schemaname = 'woes' AND p.tablename IN ('issues', 'conversation_issues', 'issue_state_events')
       AND 'customer' = ANY (string_to_array(l.list, ','))
$$, 'no policy of issues, conversation_issues or issue_state_events names the customer audience');
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename IN ('issues', 'conversation_issues', 'issue_state_events')
       AND coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') ~ '(customer|contact|current_actor|can_see)'
$$, 'no policy of issues, conversation_issues or issue_state_events tests for a customer or contact');

-- row-level security: enabled and forced (the owner too)
SELECT ok(c.relrowsecurity AND c.relforcerowsecurity, format('%s: row-level security enabled and forced', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;

--------------------------------------------------------------------------
-- Table privileges
--------------------------------------------------------------------------
-- issues and links: the backend and admins record issues and link them
-- (row-level security decides which rows); analysts read
SELECT table_privs_are('woes', t, r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.%s (row-level security decides which rows)', r, t))
  FROM unnest(ARRAY['issues', 'conversation_issues']) t,
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY t, r;
SELECT table_privs_are('woes', t, 'woes_analyst', ARRAY['SELECT'], format('woes_analyst may only read woes.%s', t))
  FROM unnest(ARRAY['issues', 'conversation_issues']) t ORDER BY t;
-- the state history: read only, for the backend and admins (no view of
-- woes_bi reads it, so analysts have no privilege)
SELECT table_privs_are('woes', 'issue_state_events', r,
                       CASE WHEN r = 'woes_analyst' THEN ARRAY[]::name[] ELSE ARRAY['SELECT'] END,
                       format(CASE WHEN r = 'woes_analyst' THEN '%s has no privilege on woes.issue_state_events'
                                   ELSE '%s may only read woes.issue_state_events' END, r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
-- PUBLIC: nothing
SELECT table_privs_are('woes', t, 'public', ARRAY[]::name[], format('PUBLIC has no privilege on woes.%s', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t ORDER BY t;
-- ... nor on a column of them
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_attribute a, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                          'woes.issue_state_events'::regclass, to_regclass('woes.issue_impact'))
$$, 'no column of the issue tables or of issue_impact has privileges of its own');

-- TRUNCATE ignores row-level security (and the triggers that write the
-- history and the events): no role of the extension may, on any of the
-- three (and nobody but the owner holds it)
SELECT is(has_table_privilege(r, 'woes.' || t, 'TRUNCATE'), false, format('%s may not TRUNCATE woes.%s', r, t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY t, r;
SELECT is_empty($$
    SELECT c.relname || ': ' || x.grantee::regrole::text FROM pg_class c, aclexplode(c.relacl) x
     WHERE c.oid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                     'woes.issue_state_events'::regclass)
       AND x.grantee <> c.relowner AND x.privilege_type IN ('TRUNCATE', 'REFERENCES', 'TRIGGER')
$$, 'nobody but the owner may TRUNCATE, REFERENCE or put triggers on the issue tables');

-- the state history is written by the issue_state trigger only: no role of
-- the extension may insert, update or delete a row, by table or column
SELECT is(has_table_privilege(r, 'woes.issue_state_events', 'INSERT, UPDATE, DELETE')
          OR has_any_column_privilege(r, 'woes.issue_state_events', 'INSERT, UPDATE'), false,
          format('%s may not write woes.issue_state_events (written by the issue_state trigger only)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY r;
SELECT is_empty($$
    SELECT c.relname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid = 'woes.issue_state_events'::regclass
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on woes.issue_state_events');
-- nor its identity sequence
SELECT sequence_privs_are('woes', 'issue_state_events_id_seq', r, ARRAY[]::name[],
                          format('%s has no privilege on woes.issue_state_events_id_seq', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r ORDER BY r;
SELECT is_empty($$
    SELECT coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid = 'woes.issue_state_events_id_seq'::regclass AND x.grantee <> c.relowner
$$, 'nobody but the owner holds a privilege on woes.issue_state_events_id_seq');

--------------------------------------------------------------------------
-- The view issue_impact: read as the caller, by the backend, admins and
-- analysts; its columns are a contract
--------------------------------------------------------------------------
SELECT has_view('woes', 'issue_impact', 'woes.issue_impact is a view');
-- (the options as stored, e.g. security_invoker=true or =on: read as boolean)
SELECT ok((SELECT coalesce(bool_or(split_part(o, '=', 2)::boolean) FILTER (WHERE o LIKE 'security\_invoker=%'), false)
             FROM pg_class c LEFT JOIN unnest(c.reloptions) o ON true
            WHERE c.oid = to_regclass('woes.issue_impact') AND c.relkind = 'v') IS TRUE,
          'woes.issue_impact is security_invoker (row-level security applies as the caller)');
SELECT ok((SELECT NOT coalesce(bool_or(split_part(o, '=', 2)::boolean) FILTER (WHERE o LIKE 'security\_barrier=%'), false)
             FROM pg_class c LEFT JOIN unnest(c.reloptions) o ON true
            WHERE c.oid = to_regclass('woes.issue_impact') AND c.relkind = 'v') IS TRUE,
          'woes.issue_impact is not a security_barrier view');
SELECT table_privs_are('woes', 'issue_impact', r, ARRAY['SELECT'], format('%s may only read woes.issue_impact', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT table_privs_are('woes', 'issue_impact', 'public', ARRAY[]::name[], 'PUBLIC has no privilege on woes.issue_impact');
SELECT is_empty($$
    SELECT coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid = to_regclass('woes.issue_impact')
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on woes.issue_impact');
-- the columns, in this order (the contract of the issue, with the raw
-- state, the url, the customers still waiting and the workspace besides)
SELECT is(array(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes.issue_impact') AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['issue_id', 'provider', 'external_key', 'title', 'state', 'provider_state', 'url',
                'conversations_total', 'conversations_open', 'customers', 'customers_open',
                'first_linked_at', 'last_linked_at', 'oldest_open_since', 'workspace_id'],
          'woes.issue_impact has exactly its contract columns, in order');
SELECT is_empty($$
    SELECT c FROM unnest(ARRAY['issue_id', 'provider', 'external_key', 'title', 'state', 'conversations_total',
                               'conversations_open', 'customers', 'first_linked_at', 'last_linked_at',
                               'oldest_open_since']) c
     WHERE NOT EXISTS (SELECT FROM pg_attribute a
                        WHERE a.attrelid = to_regclass('woes.issue_impact') AND a.attname = c AND NOT a.attisdropped)
$$, 'woes.issue_impact has every column the contract names');
SELECT is(array(SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes.issue_impact')
                   AND a.attname IN ('issue_id', 'workspace_id', 'conversations_total', 'conversations_open',
                                     'customers', 'customers_open', 'first_linked_at', 'last_linked_at',
                                     'oldest_open_since')
                 ORDER BY a.attnum),
          ARRAY['issue_id:uuid', 'conversations_total:bigint', 'conversations_open:bigint', 'customers:bigint',
                'customers_open:bigint', 'first_linked_at:timestamp with time zone',
                'last_linked_at:timestamp with time zone', 'oldest_open_since:timestamp with time zone',
                'workspace_id:uuid'],
          'woes.issue_impact: ids are uuid, counts bigint, times timestamptz');
-- the link table links a conversation to an issue
SELECT has_column('woes', 'conversation_issues', c, format('conversation_issues has a column %s', c))
  FROM unnest(ARRAY['conversation_id', 'issue_id']) c ORDER BY c;
SELECT col_type_is('woes', 'conversation_issues', c, 'uuid', format('conversation_issues.%s is uuid', c))
  FROM unnest(ARRAY['conversation_id', 'issue_id']) c ORDER BY c;

--------------------------------------------------------------------------
-- Comments: the tables, the view, every policy (the mark 'Defined by
-- woes.' tells woes's own policies from a DBA's), the functions
--------------------------------------------------------------------------
SELECT ok(coalesce(obj_description(c.oid, 'pg_class'), '') <> '', format('woes.%s has a comment', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events', 'issue_impact']) t
  LEFT JOIN pg_class c ON c.oid = to_regclass('woes.' || t)
 ORDER BY t;
SELECT ok(coalesce(obj_description(p.oid, 'pg_policy'), '') LIKE 'Defined by woes. _%',
          format('policy %s on %s has a comment starting ''Defined by woes.''', e.pol, e.tab))
  FROM (SELECT tab, pol FROM issue_policies
        UNION ALL
        SELECT t, 'workspace_isolation' FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t) e
  LEFT JOIN pg_policy p ON p.polrelid = to_regclass('woes.' || e.tab) AND p.polname = e.pol
 ORDER BY e.tab, e.pol;
SELECT ok(coalesce(obj_description(f, 'pg_proc'), '') <> '', format('%s has a comment', f))
  FROM unnest(ARRAY['woes.link_issue(uuid, text, text, text, text)', 'woes.unlink_issue(uuid, uuid)',
                    'woes.set_issue_state(uuid, text, text)', 'woes.issue_state()',
                    'woes.link_event()']::regprocedure[]) f
 ORDER BY f::text;

--------------------------------------------------------------------------
-- Functions: the API is for the backend and admins; never PUBLIC, never
-- analysts; the trigger functions for nobody
--------------------------------------------------------------------------
CREATE TEMP TABLE issue_api (f name, args text[], rettype text);
INSERT INTO issue_api VALUES
    ('link_issue',      ARRAY['uuid', 'text', 'text', 'text', 'text'], 'uuid'),
    ('unlink_issue',    ARRAY['uuid', 'uuid'],                         'boolean'),
    ('set_issue_state', ARRAY['uuid', 'text', 'text'],                 'boolean');

SELECT function_privs_are('woes', f, args, r, ARRAY['EXECUTE'], format('%s may execute woes.%s', r, f))
  FROM issue_api, unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY f, r;
SELECT function_privs_are('woes', f, args, r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM issue_api, unnest(ARRAY['woes_analyst', 'public']) r
 ORDER BY f, r;
-- nor through the catalog: no grant to PUBLIC (grantee 0) on any of them or
-- on the trigger functions
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE p.oid IN ('woes.link_issue(uuid, text, text, text, text)'::regprocedure,
                     'woes.unlink_issue(uuid, uuid)'::regprocedure,
                     'woes.set_issue_state(uuid, text, text)'::regprocedure,
                     'woes.issue_state()'::regprocedure, 'woes.link_event()'::regprocedure)
       AND x.grantee = 0
$$, 'PUBLIC holds EXECUTE on none of the issue functions');
-- the trigger functions: the owner only
SELECT function_privs_are('woes', f, ARRAY[]::name[], r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM unnest(ARRAY['issue_state', 'link_event']) f,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY f, r;
SELECT is_empty($$
    SELECT p.oid::regprocedure || ': ' || x.grantee::regrole::text FROM pg_proc p, aclexplode(p.proacl) x
     WHERE p.oid IN ('woes.issue_state()'::regprocedure, 'woes.link_event()'::regprocedure)
       AND x.grantee <> p.proowner
$$, 'nobody but the owner holds EXECUTE on the issue trigger functions');

-- what they return, and in what they are written (the triggers in C)
SELECT function_returns('woes', f, args, rettype, format('woes.%s returns %s', f, rettype))
  FROM issue_api ORDER BY f;
SELECT function_lang_is('woes', f, args, 'plpgsql', format('woes.%s is written in PL/pgSQL', f))
  FROM issue_api ORDER BY f;
SELECT function_lang_is('woes', f, ARRAY[]::name[], 'c', format('woes.%s is written in C', f))
  FROM unnest(ARRAY['issue_state', 'link_event']) f ORDER BY f;
SELECT function_returns('woes', f, ARRAY[]::name[], 'trigger', format('woes.%s is a trigger function', f))
  FROM unnest(ARRAY['issue_state', 'link_event']) f ORDER BY f;

-- the API runs as the caller (row-level security applies to all it
-- touches), with a pinned search_path and row_security on (no session can
-- make the triggers take a call for a restore)
SELECT isnt_definer('woes', f, args, format('woes.%s is SECURITY INVOKER', f))
  FROM issue_api ORDER BY f;
SELECT ok(coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp', 'row_security=on'], false),
          format('%s pins search_path and sets row_security on', f))
  FROM unnest(ARRAY['woes.link_issue(uuid, text, text, text, text)', 'woes.set_issue_state(uuid, text, text)',
                    'woes.unlink_issue(uuid, uuid)']::regprocedure[]) f
  LEFT JOIN pg_proc p ON p.oid = f
 ORDER BY f::text;
-- the trigger functions are not SECURITY DEFINER (issue_state writes the
-- history as the owner in C, for that one write only) and leave
-- row_security to the session: that is where a real restore is recognised
SELECT isnt_definer('woes', f, ARRAY[]::name[], format('woes.%s is not SECURITY DEFINER', f))
  FROM unnest(ARRAY['issue_state', 'link_event']) f ORDER BY f;
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, unnest(p.proconfig) s
     WHERE p.oid IN ('woes.issue_state()'::regprocedure, 'woes.link_event()'::regprocedure)
       AND s LIKE 'row\_security=%'
$$, 'the issue trigger functions do not set row_security');

--------------------------------------------------------------------------
-- Keys, foreign keys and indexes
--------------------------------------------------------------------------
-- primary keys lead with workspace_id (the distribution column on Citus)
SELECT col_is_pk('woes', 'issues', ARRAY['workspace_id', 'id'],
    'issues: primary key (workspace_id, id)');
SELECT col_is_pk('woes', 'conversation_issues', ARRAY['workspace_id', 'conversation_id', 'issue_id'],
    'conversation_issues: primary key (workspace_id, conversation_id, issue_id)');
SELECT col_is_pk('woes', 'issue_state_events', ARRAY['workspace_id', 'issue_id', 'id'],
    'issue_state_events: primary key (workspace_id, issue_id, id)');
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i
     WHERE i.indrelid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                          'woes.issue_state_events'::regclass)
       AND i.indkey[0] <> (SELECT a.attnum FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'workspace_id')
$$, 'every index of the issue tables leads with workspace_id');
SELECT col_type_is('woes', t, 'workspace_id', 'uuid', format('%s.workspace_id is uuid', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t ORDER BY t;
SELECT col_not_null('woes', t, 'workspace_id', format('%s.workspace_id is NOT NULL', t))
  FROM unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events']) t ORDER BY t;

-- an issue is unique in its workspace by (provider, external_key)
-- (link_issue upserts on it)
SELECT col_is_unique('woes', 'issues', ARRAY['workspace_id', 'provider', 'external_key'],
    'issues: (workspace_id, provider, external_key) is unique');
-- an issue's conversations (issue_impact, the state events), by index
SELECT has_index('woes', 'conversation_issues', 'conversation_issues_issue_idx',
    ARRAY['workspace_id', 'issue_id', 'conversation_id'],
    'conversation_issues_issue_idx indexes (workspace_id, issue_id, conversation_id)');
SELECT is((SELECT i.indisunique FROM pg_index i WHERE i.indexrelid = to_regclass('woes.conversation_issues_issue_idx')),
          false, 'conversation_issues_issue_idx is not unique (the primary key is)');
-- indexes: exactly these on the three tables
SELECT indexes_are('woes', 'issues', ARRAY['issues_pkey', 'issues_workspace_id_provider_external_key_key'],
    'issues has its primary key and (provider, external_key) indexes');
SELECT indexes_are('woes', 'conversation_issues', ARRAY['conversation_issues_pkey', 'conversation_issues_issue_idx'],
    'conversation_issues has its primary key and issue indexes');
SELECT indexes_are('woes', 'issue_state_events', ARRAY['issue_state_events_pkey'],
    'issue_state_events has only its primary key index');

-- foreign keys: a link goes with its conversation or its issue; the
-- history goes with its issue
SELECT fk_ok('woes', 'conversation_issues', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'conversation_issues refer to their conversation');
SELECT fk_ok('woes', 'conversation_issues', ARRAY['workspace_id', 'issue_id'],
             'woes', 'issues', ARRAY['workspace_id', 'id'],
             'conversation_issues refer to their issue');
SELECT is(array_agg(confrelid::regclass::text || ':' || confdeltype::text ORDER BY confrelid::regclass::text),
          ARRAY['woes.conversations:c', 'woes.issues:c'],
          'a link goes with its conversation or its issue (ON DELETE CASCADE), and refers to nothing else')
  FROM pg_constraint WHERE conrelid = 'woes.conversation_issues'::regclass AND contype = 'f';
SELECT fk_ok('woes', 'issue_state_events', ARRAY['workspace_id', 'issue_id'],
             'woes', 'issues', ARRAY['workspace_id', 'id'],
             'issue_state_events refer to their issue');
SELECT is(array_agg(confrelid::regclass::text || ':' || confdeltype::text ORDER BY confrelid::regclass::text),
          ARRAY['woes.issues:c'],
          'an issue''s history goes with it (ON DELETE CASCADE), and refers to nothing else')
  FROM pg_constraint WHERE conrelid = 'woes.issue_state_events'::regclass AND contype = 'f';
SELECT fk_ok('woes', 'issues', ARRAY['workspace_id'], 'woes', 'workspaces', ARRAY['id'],
             'issues refer to their workspace');
SELECT is_empty($$
    SELECT conrelid::regclass || '.' || conname FROM pg_constraint
     WHERE conrelid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                        'woes.issue_state_events'::regclass)
       AND contype = 'f' AND (condeferrable OR confupdtype <> 'a')
$$, 'the issue foreign keys are checked at once and NO ACTION on update (keys never change)');

--------------------------------------------------------------------------
-- Triggers: frozen keys, writes only with a context, ids made by woes, the
-- link events and the state history
--------------------------------------------------------------------------
SELECT triggers_are('woes', 'issues', ARRAY['_assign_id', 'guard_update', 'issue_state', 'require_context'],
    'issues has the id, guard_update, issue_state and require_context triggers');
SELECT triggers_are('woes', 'conversation_issues', ARRAY['guard_update', 'issue_link_event', 'require_context'],
    'conversation_issues has the guard_update, issue_link_event and require_context triggers');
SELECT triggers_are('woes', 'issue_state_events', ARRAY['guard_update', 'require_context'],
    'issue_state_events has the guard_update and require_context triggers');

-- each trigger's function and when it fires; tgtype: ROW (1), BEFORE (2),
-- INSERT (4), DELETE (8), UPDATE (16)
CREATE TEMP TABLE issue_triggers (tab name, trg name, func name, tgtype int, fires text);
INSERT INTO issue_triggers VALUES
    ('issues',              '_assign_id',       'assign_id',       7,  'BEFORE INSERT, FOR EACH ROW'),
    ('issues',              'guard_update',     'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('issues',              'issue_state',      'issue_state',     19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('issues',              'require_context',  'require_context', 30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT'),
    ('conversation_issues', 'guard_update',     'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('conversation_issues', 'issue_link_event', 'link_event',      13, 'AFTER INSERT OR DELETE, FOR EACH ROW'),
    ('conversation_issues', 'require_context',  'require_context', 30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT'),
    ('issue_state_events',  'guard_update',     'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('issue_state_events',  'require_context',  'require_context', 30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT');
SELECT trigger_is('woes', tab, trg, 'woes', func, format('%s.%s calls woes.%s()', tab, trg, func))
  FROM issue_triggers ORDER BY tab, trg;
SELECT is(t.tgtype::int, e.tgtype, format('%s.%s fires %s', e.tab, e.trg, e.fires))
  FROM issue_triggers e
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg
 ORDER BY e.tab, e.trg;
-- the state history is written on a change of state (UPDATE OF state)
SELECT is((SELECT array(SELECT a.attname FROM unnest(t.tgattr::int2[]) k
                          JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k)
             FROM pg_trigger t WHERE t.tgrelid = 'woes.issues'::regclass AND t.tgname = 'issue_state'),
          ARRAY['state']::name[], 'issues.issue_state fires on an update of state (only)');
-- the link events: made and removed, with the issue's id
SELECT is((SELECT encode(tgargs, 'escape') FROM pg_trigger
            WHERE tgrelid = 'woes.conversation_issues'::regclass AND tgname = 'issue_link_event'),
          E'conversation.issue_linked\\000conversation.issue_unlinked\\000issue_id\\000',
          'issue_link_event writes conversation.issue_linked and conversation.issue_unlinked with the issue_id');
-- the frozen columns: the key, created_at, and the whole of a history row
SELECT is(pg_get_triggerdef(t.oid), format('CREATE TRIGGER guard_update BEFORE UPDATE ON woes.%s FOR EACH ROW EXECUTE FUNCTION woes.guard_update(%s)', e.tab, e.args),
          format('%s.guard_update freezes %s', e.tab, e.args))
  FROM (VALUES ('conversation_issues', '''workspace_id'', ''conversation_id'', ''issue_id'', ''created_at'''),
               ('issue_state_events',  '''workspace_id'', ''issue_id'', ''id'', ''from_state'', ''to_state'', ''provider_state'', ''actor_kind'', ''actor_id'', ''created_at'''),
               ('issues',              '''workspace_id'', ''id'', ''provider'', ''external_key'', ''created_at''')) e(tab, args)
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = 'guard_update'
 ORDER BY e.tab;
SELECT is_empty($$
    SELECT t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t
     WHERE t.tgrelid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                         'woes.issue_state_events'::regclass)
       AND t.tgenabled <> 'O'
$$, 'every trigger of the issue tables is enabled');

--------------------------------------------------------------------------
-- Free text stays out of the planner's statistics; the tables (and the
-- history's identity) are registered for pg_dump
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname FROM pg_attribute a
     WHERE a.attrelid IN ('woes.issues'::regclass, 'woes.conversation_issues'::regclass,
                          'woes.issue_state_events'::regclass)
       AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype)
            OR (SELECT ty.typcategory FROM pg_type ty WHERE ty.oid = a.atttypid) = 'A')
       AND a.attname <> 'actor_kind'
       AND coalesce(a.attstattarget, -1) <> 0
$$, 'the free text of the issue tables has statistics target 0');
SELECT ok(to_regclass('woes.' || t) = ANY (e.extconfig), format('woes.%s is registered for pg_dump', t))
  FROM pg_extension e, unnest(ARRAY['issues', 'conversation_issues', 'issue_state_events', 'issue_state_events_id_seq']) t
 WHERE e.extname = 'woes'
 ORDER BY t;

SELECT * FROM finish();
ROLLBACK;

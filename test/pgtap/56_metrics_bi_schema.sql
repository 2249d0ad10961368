-- pgTAP: the schema behind metrics and the BI schema (0.2.0): the metric
-- columns at the end of woes.conversations (kept by the triggers in the
-- same write as the change that moves them: src/metrics.c and the message
-- trigger's update), woes.reply_times (one row per public operator reply,
-- written by the message trigger alone, as the owner), the functions
-- woes.metrics_from_history() (internal) and woes.verify_metrics(), and
-- the schema woes_bi that BI tools connect to: only views, each
-- security_invoker, standard types only, a comment on every view and
-- column, no free text a customer or operator wrote, readable by the
-- backend, admins and analysts and by nobody else.  Their policies and the
-- audiences those name (no customer), row-level security, privileges,
-- keys and indexes, triggers, the views' contracts, comments, and who may
-- execute the metric functions and how they run.  Runs in one transaction
-- that is rolled back, so it leaves the database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(286);

-- the audiences a policy expression admits: the array literal given to
-- woes.in_audience(), sorted (NULL when the expression has none)
CREATE FUNCTION pg_temp.audiences(expr text) RETURNS text[]
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT array_agg(a ORDER BY a)
      FROM unnest(string_to_array((regexp_match(expr, 'in_audience\(''\{([^}]*)\}''::'))[1], ',')) a
$$;

-- the policies reply_times must have, with its command and the audiences
-- its USING and WITH CHECK name (NULL: the clause is absent)
CREATE TEMP TABLE reply_policies (tab name, pol name, cmd text, using_aud text[], check_aud text[]);
INSERT INTO reply_policies VALUES
    ('reply_times', 'reply_times_read', 'SELECT', '{admin,agent,analyst,operator}', NULL);

-- the metric columns of conversations, in their order (the last columns of
-- the table), with their types
CREATE TEMP TABLE metric_columns (ord int, col name, typ text);
INSERT INTO metric_columns VALUES
    (1,  'first_customer_message_at', 'timestamp with time zone'),
    (2,  'first_response_at',         'timestamp with time zone'),
    (3,  'human_clock_from',          'timestamp with time zone'),
    (4,  'first_human_response_at',   'timestamp with time zone'),
    (5,  'first_operator_message_at', 'timestamp with time zone'),
    (6,  'first_resolved_at',         'timestamp with time zone'),
    (7,  'last_resolved_at',          'timestamp with time zone'),
    (8,  'reopen_count',              'integer'),
    (9,  'assignment_count',          'integer'),
    (10, 'first_assigned_at',         'timestamp with time zone'),
    (11, 'handoff_requested_at',      'timestamp with time zone'),
    (12, 'handoff_taken_at',          'timestamp with time zone');

-- the views of woes_bi and the key column of each (README, "Connect a BI
-- Tool")
CREATE TEMP TABLE bi_views (v name, key name);
INSERT INTO bi_views VALUES
    ('conversation_metrics', 'conversation_id'),
    ('response_times',       'message_id'),
    ('routing_stats',        'stat_id'),
    ('issue_impact',         'issue_id'),
    ('operators',            'operator_id'),
    ('teams',                'team_id'),
    ('channels',             'channel'),
    ('tags',                 'tag_id'),
    ('conversation_tags',    'conversation_tag_id'),
    ('status_changes',       'status_change_id'),
    ('handoffs',             'handoff_id'),
    ('fields',               'field_key'),
    ('field_options',        'field_option_id'),
    ('workspace',            'workspace_id');

--------------------------------------------------------------------------
-- reply_times: policies.  Exactly these; isolation RESTRICTIVE for every
-- command; one read policy and nothing that would let anyone write a row;
-- no policy that admits a customer
--------------------------------------------------------------------------
SELECT policies_are('woes', 'reply_times', ARRAY['workspace_isolation', 'reply_times_read'],
    'reply_times has the isolation policy and a read policy, nothing else');

-- each policy's command
SELECT policy_cmd_is('woes', tab, pol, cmd, format('%s: %s applies to %s', tab, pol, cmd))
  FROM reply_policies ORDER BY tab, pol;
SELECT policy_cmd_is('woes', 'reply_times', 'workspace_isolation', 'ALL', 'reply_times: workspace_isolation applies to ALL');

-- every policy applies to every role (a policy TO some role would not
-- judge the others): the audience is in the expression, not the role list
SELECT is(p.roles, ARRAY['public']::name[], format('%s: %s applies to every role (TO PUBLIC)', e.tab, e.pol))
  FROM (SELECT tab, pol FROM reply_policies
        UNION ALL
        SELECT 'reply_times', 'workspace_isolation') e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;

-- isolation: RESTRICTIVE (no permissive policy can widen it), the context's
-- workspace for reading, in_workspace() for writing
SELECT is((SELECT p.permissive FROM pg_policies p
            WHERE p.schemaname = 'woes' AND p.tablename = 'reply_times' AND p.policyname = 'workspace_isolation'),
          'RESTRICTIVE', 'reply_times: workspace_isolation is RESTRICTIVE');
SELECT ok(coalesce((SELECT p.qual = '(workspace_id = woes.current_workspace())'
                           AND p.with_check = 'woes.in_workspace(workspace_id)'
                      FROM pg_policies p
                     WHERE p.schemaname = 'woes' AND p.tablename = 'reply_times' AND p.policyname = 'workspace_isolation'), false),
          'reply_times: workspace_isolation admits and lets be written only the context''s workspace');

-- the audiences each policy names (read from the policy text, where
-- woes.in_audience('{...}') is the audience test)
SELECT is(pg_temp.audiences(p.qual), e.using_aud, format('%s: %s USING admits %s', e.tab, e.pol, coalesce(e.using_aud::text, 'nobody (no clause)')))
  FROM reply_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
SELECT is(pg_temp.audiences(p.with_check), e.check_aud, format('%s: %s WITH CHECK admits %s', e.tab, e.pol, coalesce(e.check_aud::text, 'nobody (no clause)')))
  FROM reply_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
-- and the clauses each has: a read policy no WITH CHECK (so the audience
-- tests above are all there is)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM reply_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NULL) <> (e.using_aud IS NULL) OR (p.with_check IS NULL) <> (e.check_aud IS NULL)
$$, 'the reply_times policies have exactly the USING and WITH CHECK clauses expected');
-- Citus makes every policy permissive on the shards: the read policy
-- carries the workspace test itself (folded in by 80_row_security.sql),
-- and nothing but it and one audience test
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM reply_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.qual !~ '^\(\(workspace_id = woes\.current_workspace\(\)\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
$$, 'reply_times_read is the workspace test and one audience test, nothing else');
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM reply_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.permissive <> 'PERMISSIVE'
$$, 'the audience policy of reply_times is permissive (only workspace_isolation is restrictive)');
-- no permissive policy for any write: only the message trigger (as the
-- owner) writes
SELECT is_empty($$
    SELECT p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename = 'reply_times' AND p.permissive = 'PERMISSIVE' AND p.cmd <> 'SELECT'
$$, 'no permissive policy of reply_times admits an INSERT, UPDATE or DELETE');

-- customers see none of it: by no audience list and no other test of who
-- the caller is
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p,
           LATERAL (SELECT m[1] AS list
                      FROM regexp_matches(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                          'in_audience\(''\{([^}]*)\}''', 'g') m) l
     WHERE p.schemaname = 'woes' AND p.tablename = 'reply_times'
       AND 'customer' = ANY (string_to_array(l.list, ','))
$$, 'no policy of reply_times names the customer audience');
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename = 'reply_times'
       AND coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') ~ '(customer|contact|current_actor|can_see)'
$$, 'no policy of reply_times tests for a customer or contact');

-- row-level security: enabled and forced (the owner too)
SELECT ok(coalesce((SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c
                     WHERE c.oid = to_regclass('woes.reply_times')), false),
          'reply_times: row-level security enabled and forced');

--------------------------------------------------------------------------
-- reply_times: privileges.  Written by the message trigger only (as the
-- owner): the backend, admins and analysts read it, nobody writes it
--------------------------------------------------------------------------
SELECT table_privs_are('woes', 'reply_times', r, ARRAY['SELECT'], format('%s may only read woes.reply_times', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT table_privs_are('woes', 'reply_times', 'public', ARRAY[]::name[], 'PUBLIC has no privilege on woes.reply_times');
SELECT is(has_table_privilege(r, 'woes.reply_times', 'INSERT, UPDATE, DELETE, TRUNCATE')
          OR has_any_column_privilege(r, 'woes.reply_times', 'INSERT, UPDATE'), false,
          format('%s may not write woes.reply_times (the message trigger writes it, as the owner)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY r;
SELECT is_empty($$
    SELECT c.relname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid = 'woes.reply_times'::regclass
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on woes.reply_times');
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_attribute a, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid = 'woes.reply_times'::regclass
$$, 'no column of woes.reply_times has privileges of its own');

--------------------------------------------------------------------------
-- reply_times: the table, its columns, keys and indexes
--------------------------------------------------------------------------
SELECT has_table('woes', 'reply_times', 'woes.reply_times is a table');
SELECT columns_are('woes', 'reply_times',
    ARRAY['workspace_id', 'message_id', 'conversation_id', 'operator_id', 'team_id', 'channel',
          'waiting_since', 'replied_at'],
    'reply_times has exactly its columns');
CREATE TEMP TABLE reply_columns (col name, typ text, not_null boolean);
INSERT INTO reply_columns VALUES
    ('workspace_id',    'uuid',                     true),
    ('message_id',      'uuid',                     true),
    ('conversation_id', 'uuid',                     true),
    ('operator_id',     'uuid',                     false),
    ('team_id',         'uuid',                     false),
    ('channel',         'text',                     true),
    ('waiting_since',   'timestamp with time zone', false),
    ('replied_at',      'timestamp with time zone', true);
SELECT col_type_is('woes', 'reply_times', col, typ, format('reply_times.%s is %s', col, typ))
  FROM reply_columns ORDER BY col;
SELECT col_not_null('woes', 'reply_times', col, format('reply_times.%s is NOT NULL', col))
  FROM reply_columns WHERE not_null ORDER BY col;
SELECT col_is_null('woes', 'reply_times', col, format('reply_times.%s may be NULL', col))
  FROM reply_columns WHERE NOT not_null ORDER BY col;
-- every value comes from the message trigger: no column has a default
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = 'woes.reply_times'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '')
$$, 'no column of reply_times has a default');

-- one row per reply: the primary key is the message, leading with
-- workspace_id (the distribution column on Citus)
SELECT col_is_pk('woes', 'reply_times', ARRAY['workspace_id', 'message_id'],
    'reply_times: primary key (workspace_id, message_id)');
SELECT indexes_are('woes', 'reply_times', ARRAY['reply_times_pkey', 'reply_times_replied_idx', 'reply_times_conversation_idx'],
    'reply_times has its primary key, replied and conversation indexes, nothing else');
-- a period's replies (routing_stats) and a conversation's
SELECT has_index('woes', 'reply_times', 'reply_times_replied_idx', ARRAY['workspace_id', 'replied_at'],
    'reply_times_replied_idx indexes (workspace_id, replied_at)');
SELECT has_index('woes', 'reply_times', 'reply_times_conversation_idx', ARRAY['workspace_id', 'conversation_id'],
    'reply_times_conversation_idx indexes (workspace_id, conversation_id)');
SELECT is(array(SELECT i.indexrelid::regclass::text FROM pg_index i
                 WHERE i.indrelid = 'woes.reply_times'::regclass AND i.indisunique ORDER BY 1),
          ARRAY['woes.reply_times_pkey'],
          'the only unique index of reply_times is its primary key');
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i
     WHERE i.indrelid = 'woes.reply_times'::regclass
       AND (i.indkey[0] <> (SELECT a.attnum FROM pg_attribute a
                             WHERE a.attrelid = i.indrelid AND a.attname = 'workspace_id')
            OR i.indpred IS NOT NULL OR i.indexprs IS NOT NULL)
$$, 'every index of reply_times leads with workspace_id, on plain columns, without a predicate');

-- foreign keys: a reply time goes with its conversation; none to the
-- message (the row is written by the message's own BEFORE trigger)
SELECT fk_ok('woes', 'reply_times', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'reply_times refer to their conversation by (workspace_id, conversation_id)');
SELECT is(array(SELECT confrelid::regclass::text || ':' || confdeltype::text FROM pg_constraint
                 WHERE conrelid = 'woes.reply_times'::regclass AND contype = 'f' ORDER BY 1),
          ARRAY['woes.conversations:c'],
          'a reply time goes with its conversation (ON DELETE CASCADE), and refers to nothing else');
SELECT is_empty($$
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'woes.reply_times'::regclass AND contype = 'f' AND confrelid = 'woes.messages'::regclass
$$, 'reply_times has no foreign key to messages');
SELECT is_empty($$
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'woes.reply_times'::regclass AND contype = 'f' AND (condeferrable OR confupdtype <> 'a')
$$, 'the foreign key of reply_times is checked at once and NO ACTION on update');

--------------------------------------------------------------------------
-- reply_times: triggers.  Frozen columns, writes only with a context
--------------------------------------------------------------------------
SELECT triggers_are('woes', 'reply_times', ARRAY['guard_update', 'require_context'],
    'reply_times has the guard_update and require_context triggers, nothing else');
-- tgtype: ROW (1), BEFORE (2), INSERT (4), DELETE (8), UPDATE (16)
CREATE TEMP TABLE reply_triggers (trg name, func name, tgtype int, fires text);
INSERT INTO reply_triggers VALUES
    ('guard_update',    'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('require_context', 'require_context', 30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT');
SELECT trigger_is('woes', 'reply_times', trg, 'woes', func, format('reply_times.%s calls woes.%s()', trg, func))
  FROM reply_triggers ORDER BY trg;
SELECT is(t.tgtype::int, e.tgtype, format('reply_times.%s fires %s', e.trg, e.fires))
  FROM reply_triggers e
  LEFT JOIN pg_trigger t ON t.tgrelid = 'woes.reply_times'::regclass AND t.tgname = e.trg
 ORDER BY e.trg;
SELECT is((SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
            WHERE t.tgrelid = 'woes.reply_times'::regclass AND t.tgname = 'guard_update'),
          'CREATE TRIGGER guard_update BEFORE UPDATE ON woes.reply_times FOR EACH ROW EXECUTE FUNCTION woes.guard_update('
          '''workspace_id'', ''message_id'', ''operator_id'', ''team_id'', ''channel'', ''waiting_since'', ''replied_at'')',
          'reply_times.guard_update freezes the key, the operator, team, channel and both times');
SELECT is_empty($$
    SELECT t.tgname FROM pg_trigger t
     WHERE t.tgrelid = 'woes.reply_times'::regclass AND t.tgenabled <> 'O'
$$, 'every trigger of reply_times is enabled');

-- the table belongs to the extension and is registered for pg_dump
SELECT ok(EXISTS (SELECT FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = 'woes.reply_times'::regclass
                     AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'woes')),
          'woes.reply_times is a member of the extension');
SELECT ok(coalesce((SELECT 'woes.reply_times'::regclass = ANY (e.extconfig) FROM pg_extension e WHERE e.extname = 'woes'), false),
          'woes.reply_times is registered for pg_dump');

-- comments: the table and its policies ('Defined by woes.' tells woes's
-- own policies from a DBA's)
SELECT ok(coalesce(obj_description('woes.reply_times'::regclass, 'pg_class'), '') <> '', 'woes.reply_times has a comment');
SELECT ok(coalesce(obj_description(p.oid, 'pg_policy'), '') LIKE 'Defined by woes. _%',
          format('policy %s on %s has a comment starting ''Defined by woes.''', e.pol, e.tab))
  FROM (SELECT tab, pol FROM reply_policies
        UNION ALL
        SELECT 'reply_times', 'workspace_isolation') e
  LEFT JOIN pg_policy p ON p.polrelid = to_regclass('woes.' || e.tab) AND p.polname = e.pol
 ORDER BY e.tab, e.pol;

--------------------------------------------------------------------------
-- The metric columns of conversations: the last of the table, in this
-- order; types, the counters' NOT NULL, defaults and checks; comments;
-- analysts read them (and still not the subject or the thread reference)
--------------------------------------------------------------------------
SELECT col_type_is('woes', 'conversations', col, typ, format('conversations.%s is %s', col, typ))
  FROM metric_columns ORDER BY ord;
SELECT is(array(SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = 'woes.conversations'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum DESC LIMIT 12),
          array(SELECT col FROM metric_columns ORDER BY ord DESC),
          'the metric columns are the last columns of conversations, in their order');

-- the counters: NOT NULL, 0 by default, never negative
SELECT col_not_null('woes', 'conversations', c, format('conversations.%s is NOT NULL', c))
  FROM unnest(ARRAY['reopen_count', 'assignment_count']) c ORDER BY c;
SELECT col_default_is('woes', 'conversations', c, '0', format('conversations.%s defaults to 0', c))
  FROM unnest(ARRAY['reopen_count', 'assignment_count']) c ORDER BY c;
SELECT is(array(SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k
                 WHERE k.conrelid = 'woes.conversations'::regclass AND k.contype = 'c'
                   AND k.conkey = ARRAY[(SELECT a.attnum FROM pg_attribute a
                                          WHERE a.attrelid = 'woes.conversations'::regclass AND a.attname = c)]
                 ORDER BY 1),
          ARRAY[format('CHECK ((%s >= 0))', c)],
          format('conversations.%s has one check: never negative', c))
  FROM unnest(ARRAY['reopen_count', 'assignment_count']) c ORDER BY c;
-- the times: NULL until they happen, no default, no check
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a JOIN metric_columns m ON m.col = a.attname
     WHERE a.attrelid = 'woes.conversations'::regclass AND NOT a.attisdropped AND m.typ <> 'integer'
       AND (a.attnotnull OR a.atthasdef OR a.attgenerated <> ''
            OR EXISTS (SELECT FROM pg_constraint k
                        WHERE k.conrelid = a.attrelid AND k.contype = 'c' AND a.attnum = ANY (k.conkey)))
$$, 'the metric times of conversations may be NULL and have no default and no check');

-- each has a comment, marked as a metric
SELECT ok(coalesce(col_description('woes.conversations'::regclass, a.attnum), '') LIKE 'Metric: _%',
          format('conversations.%s has a comment starting ''Metric:''', m.col))
  FROM metric_columns m
  LEFT JOIN pg_attribute a ON a.attrelid = 'woes.conversations'::regclass AND a.attname = m.col AND NOT a.attisdropped
 ORDER BY m.ord;

-- analysts read each (their BI views read them as the caller)
SELECT ok(coalesce((SELECT has_column_privilege('woes_analyst', 'woes.conversations'::regclass, a.attnum, 'SELECT')
                      FROM pg_attribute a
                     WHERE a.attrelid = 'woes.conversations'::regclass AND a.attname = m.col AND NOT a.attisdropped), false),
          format('woes_analyst may read conversations.%s', m.col))
  FROM metric_columns m ORDER BY m.ord;
-- ... and nothing more of them: no write, no reference
SELECT is_empty($$
    SELECT m.col || ' ' || p FROM metric_columns m, unnest(ARRAY['INSERT', 'UPDATE', 'REFERENCES']) p
     WHERE has_column_privilege('woes_analyst', 'woes.conversations', m.col, p)
$$, 'woes_analyst may not write or reference the metric columns of conversations');
-- ... granted by column, as the other columns analysts read (no grant on
-- the whole table)
SELECT is(has_table_privilege('woes_analyst', 'woes.conversations', 'SELECT'), false,
          'woes_analyst holds no SELECT on the whole of woes.conversations (only on columns)');
-- still no subject and no thread reference for analysts
SELECT is(has_column_privilege('woes_analyst', 'woes.conversations', c, 'SELECT, INSERT, UPDATE, REFERENCES'), false,
          format('woes_analyst has no privilege on conversations.%s', c))
  FROM unnest(ARRAY['subject', 'thread_ref']) c ORDER BY c;
-- PUBLIC: nothing on any metric column
SELECT is_empty($$
    SELECT m.col FROM metric_columns m
     WHERE has_column_privilege('public', 'woes.conversations', m.col, 'SELECT, INSERT, UPDATE, REFERENCES')
$$, 'PUBLIC has no privilege on the metric columns of conversations');
-- the column privileges of a metric column are those of created_at (the
-- analyst's read, nothing else)
SELECT is_empty($$
    SELECT m.col FROM metric_columns m
      JOIN pg_attribute a ON a.attrelid = 'woes.conversations'::regclass AND a.attname = m.col AND NOT a.attisdropped
     WHERE a.attacl::text IS DISTINCT FROM (SELECT b.attacl::text FROM pg_attribute b
                                              WHERE b.attrelid = 'woes.conversations'::regclass AND b.attname = 'created_at')
$$, 'each metric column of conversations has the column privileges of created_at');

--------------------------------------------------------------------------
-- The schema woes_bi: the extension's, only views (exactly these), used by
-- the backend, admins and analysts, by nobody else
--------------------------------------------------------------------------
SELECT has_schema('woes_bi', 'the schema woes_bi exists');
SELECT ok(EXISTS (SELECT FROM pg_depend d
                   WHERE d.classid = 'pg_namespace'::regclass AND d.objid = to_regnamespace('woes_bi')
                     AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'woes')),
          'the schema woes_bi is a member of the extension');
SELECT ok(coalesce(obj_description(to_regnamespace('woes_bi'), 'pg_namespace'), '') <> '', 'the schema woes_bi has a comment');
SELECT views_are('woes_bi', array(SELECT v FROM bi_views), 'woes_bi has exactly its twelve views');
SELECT is_empty($$
    SELECT c.relname || ' (' || c.relkind::text || ')' FROM pg_class c
     WHERE c.relnamespace = to_regnamespace('woes_bi') AND c.relkind <> 'v'
$$, 'woes_bi holds nothing but views (no table, sequence, index, materialized view or foreign table)');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = to_regnamespace('woes_bi')
$$, 'woes_bi holds no function');
SELECT is_empty($$
    SELECT t.typname FROM pg_type t
     WHERE t.typnamespace = to_regnamespace('woes_bi')
       AND NOT EXISTS (SELECT FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'v')
       AND NOT EXISTS (SELECT FROM pg_type e JOIN pg_class c ON c.oid = e.typrelid AND c.relkind = 'v'
                        WHERE e.oid = t.typelem AND t.typcategory = 'A')
$$, 'woes_bi holds no type but the row types of its views');

-- each view: read as the caller (the policies of the tables apply to
-- whoever reads), and the extension's
SELECT ok((SELECT coalesce(bool_or(split_part(o, '=', 2)::boolean) FILTER (WHERE o LIKE 'security\_invoker=%'), false)
             FROM pg_class c LEFT JOIN unnest(c.reloptions) o ON true
            WHERE c.oid = to_regclass('woes_bi.' || b.v) AND c.relkind = 'v') IS TRUE,
          format('woes_bi.%s is security_invoker (row-level security applies as the caller)', b.v))
  FROM bi_views b ORDER BY b.v;
SELECT ok(EXISTS (SELECT FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = to_regclass('woes_bi.' || b.v)
                     AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'woes')),
          format('woes_bi.%s is a member of the extension', b.v))
  FROM bi_views b ORDER BY b.v;

-- schema privileges: USAGE for the backend, admins and analysts; CREATE
-- for nobody but the owner; nothing for PUBLIC
SELECT schema_privs_are('woes_bi', r, ARRAY['USAGE'], format('%s may use the schema woes_bi (and not create in it)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT schema_privs_are('woes_bi', 'public', ARRAY[]::name[], 'PUBLIC has no privilege on the schema woes_bi');
SELECT is_empty($$
    SELECT coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_namespace n, aclexplode(n.nspacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE n.oid = to_regnamespace('woes_bi') AND x.grantee <> n.nspowner
       AND (x.privilege_type <> 'USAGE' OR r.rolname IS NULL
            OR r.rolname NOT IN ('woes_service', 'woes_admin', 'woes_analyst'))
$$, 'nobody but the owner holds a privilege on woes_bi besides USAGE for woes_service, woes_admin and woes_analyst');

-- view privileges: SELECT for the three, nothing else; PUBLIC nothing
SELECT table_privs_are('woes_bi', b.v, r, ARRAY['SELECT'], format('%s may only read woes_bi.%s', r, b.v))
  FROM bi_views b, unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r
 ORDER BY b.v, r;
SELECT table_privs_are('woes_bi', b.v, 'public', ARRAY[]::name[], format('PUBLIC has no privilege on woes_bi.%s', b.v))
  FROM bi_views b ORDER BY b.v;
SELECT is_empty($$
    SELECT c.relname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.relnamespace = to_regnamespace('woes_bi')
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on a view of woes_bi');
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.relnamespace = to_regnamespace('woes_bi')
$$, 'no column of a view of woes_bi has privileges of its own');

-- readable in full: each role may SELECT * from every view (the views run
-- as the caller, so the caller needs every table and column they read;
-- LIMIT 0 still checks every privilege)
CREATE TEMP TABLE bi_reads (rol name, v name, err text);
DO $$
DECLARE
    r   name;
    b   record;
    e   text;
BEGIN
    FOREACH r IN ARRAY ARRAY['woes_service', 'woes_admin', 'woes_analyst']::name[] LOOP
        FOR b IN SELECT v FROM bi_views ORDER BY v LOOP
            e := NULL;
            BEGIN
                PERFORM set_config('role', r, true);
                EXECUTE format('SELECT * FROM woes_bi.%I LIMIT 0', b.v);
                PERFORM set_config('role', 'none', true);
            EXCEPTION WHEN OTHERS THEN
                e := SQLERRM;
            END;
            PERFORM set_config('role', 'none', true);
            INSERT INTO bi_reads VALUES (r, b.v, e);
        END LOOP;
    END LOOP;
END;
$$;
SELECT is(array(SELECT v || ': ' || err FROM bi_reads WHERE rol = r AND err IS NOT NULL ORDER BY v),
          ARRAY[]::text[], format('%s may read every column of every view of woes_bi', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;

--------------------------------------------------------------------------
-- The views' columns: described, plain, no free text
--------------------------------------------------------------------------
-- each view's comment names its key, the first column
SELECT ok(position('key: ' || b.key IN coalesce(obj_description(to_regclass('woes_bi.' || b.v), 'pg_class'), '')) > 0,
          format('woes_bi.%s has a comment naming its key (%s)', b.v, b.key))
  FROM bi_views b ORDER BY b.v;
SELECT is_empty($$
    SELECT b.v FROM bi_views b
     WHERE (SELECT a.attname FROM pg_attribute a
             WHERE a.attrelid = to_regclass('woes_bi.' || b.v) AND a.attnum = 1) IS DISTINCT FROM b.key
$$, 'the first column of each view of woes_bi is its key');
-- every column has a comment (BI tools show them)
SELECT is_empty($$
    SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = to_regnamespace('woes_bi') AND a.attnum > 0 AND NOT a.attisdropped
       AND coalesce(col_description(c.oid, a.attnum), '') = ''
$$, 'every column of every view of woes_bi has a comment');
-- standard types only: no woes type, no array, no domain over either (a BI
-- filter "status = ?" with a string parameter must work)
SELECT is_empty($$
    WITH RECURSIVE t(attrelid, attname, typ) AS (
        SELECT a.attrelid, a.attname, a.atttypid FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
         WHERE c.relnamespace = to_regnamespace('woes_bi') AND a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT t.attrelid, t.attname, y.typbasetype FROM t JOIN pg_type y ON y.oid = t.typ
         WHERE y.typtype = 'd'
    )
    SELECT DISTINCT t.attrelid::regclass || '.' || t.attname FROM t JOIN pg_type y ON y.oid = t.typ
     WHERE y.typnamespace = 'woes'::regnamespace OR y.typcategory = 'A' OR y.typelem <> 0 AND y.typlen = -1
        OR y.typtype NOT IN ('b', 'd')
$$, 'no column of woes_bi is of a woes type, an array, a composite or a domain over one');
-- ... nor anything a BI tool could not filter with a plain value
SELECT is_empty($$
    SELECT c.relname || '.' || a.attname || ': ' || format_type(a.atttypid, a.atttypmod)
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = to_regnamespace('woes_bi') AND a.attnum > 0 AND NOT a.attisdropped
       AND a.atttypid NOT IN ('uuid'::regtype, 'text'::regtype, 'bigint'::regtype, 'integer'::regtype,
                              'numeric'::regtype, 'boolean'::regtype, 'date'::regtype,
                              'timestamp with time zone'::regtype)
$$, 'the columns of woes_bi are uuid, text, bigint, integer, numeric, boolean, date or timestamptz');
-- no text a customer or operator wrote, no contact name or email
SELECT is_empty($$
    SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.relnamespace = to_regnamespace('woes_bi') AND a.attnum > 0 AND NOT a.attisdropped
       AND a.attname IN ('body', 'subject', 'note', 'trace', 'email', 'reason', 'thread_ref', 'contact_name')
$$, 'no column of woes_bi is a body, subject, note, trace, email, reason, thread_ref or contact_name');
-- every view of a workspace's data ends with workspace_id (channels are
-- global; workspace has it as its key, first)
SELECT is_empty($$
    SELECT b.v FROM bi_views b
     WHERE b.v NOT IN ('channels', 'workspace')
       AND (SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
             WHERE a.attrelid = to_regclass('woes_bi.' || b.v) AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum DESC LIMIT 1) IS DISTINCT FROM 'workspace_id:uuid'
$$, 'every view of woes_bi but channels and workspace ends with workspace_id (uuid)');

--------------------------------------------------------------------------
-- The contracts: the columns of conversation_metrics and response_times
-- (README: their names are a contract), and of routing_stats
--------------------------------------------------------------------------
SELECT is(array(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes_bi.conversation_metrics') AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['conversation_id', 'number', 'channel', 'status', 'team_id', 'assignee_id', 'created_at',
                'first_response_at', 'first_response_seconds', 'first_human_response_at',
                'first_human_response_seconds', 'first_resolved_at', 'last_resolved_at', 'resolution_seconds',
                'reopen_count', 'assignment_count', 'first_assigned_at', 'handoff_requested_at',
                'handoff_wait_seconds', 'resolved_by_automation', 'first_customer_message_at', 'human_clock_from',
                'handoff_taken_at', 'full_resolution_seconds', 'workspace_id'],
          'woes_bi.conversation_metrics has exactly its contract columns, in order');
SELECT is_empty($$
    SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
     WHERE a.attrelid = to_regclass('woes_bi.conversation_metrics') AND a.attnum > 0 AND NOT a.attisdropped
       AND format_type(a.atttypid, a.atttypmod) <> CASE
             WHEN a.attname IN ('conversation_id', 'team_id', 'assignee_id', 'workspace_id') THEN 'uuid'
             WHEN a.attname IN ('channel', 'status') THEN 'text'
             WHEN a.attname = 'number' THEN 'bigint'
             WHEN a.attname IN ('reopen_count', 'assignment_count') THEN 'integer'
             WHEN a.attname = 'resolved_by_automation' THEN 'boolean'
             WHEN a.attname LIKE '%\_seconds' THEN 'numeric'
             WHEN a.attname LIKE '%\_at' OR a.attname = 'human_clock_from' THEN 'timestamp with time zone'
             ELSE '?' END
$$, 'woes_bi.conversation_metrics: ids uuid, labels text, counts integer, times timestamptz, durations numeric seconds');
SELECT is(array(SELECT a.attname::text FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes_bi.response_times') AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['message_id', 'conversation_id', 'operator_id', 'team_id', 'channel', 'waiting_since', 'replied_at',
                'seconds', 'workspace_id'],
          'woes_bi.response_times has exactly its contract columns, in order');
SELECT is(array(SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes_bi.response_times') AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['message_id:uuid', 'conversation_id:uuid', 'operator_id:uuid', 'team_id:uuid', 'channel:text',
                'waiting_since:timestamp with time zone', 'replied_at:timestamp with time zone', 'seconds:numeric',
                'workspace_id:uuid'],
          'woes_bi.response_times: ids uuid, channel text, times timestamptz, seconds numeric');
SELECT is(array(SELECT a.attname || ':' || format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                 WHERE a.attrelid = to_regclass('woes_bi.routing_stats') AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['stat_id:text', 'day:date', 'team_id:uuid', 'operator_id:uuid', 'channel:text', 'assigned:bigint',
                'resolved:bigint', 'reopened:bigint', 'handed_off:bigint',
                'first_human_response_median_seconds:numeric', 'first_human_response_p90_seconds:numeric',
                'reply_median_seconds:numeric', 'reply_p90_seconds:numeric', 'workspace_id:uuid'],
          'woes_bi.routing_stats has exactly its columns, in order, with their types');

--------------------------------------------------------------------------
-- woes.verify_metrics(): for the backend and admins, as the caller, with a
-- pinned search_path
--------------------------------------------------------------------------
SELECT has_function('woes', 'verify_metrics', ARRAY[]::name[], 'woes.verify_metrics() exists');
SELECT is((SELECT pg_get_function_result(p.oid) FROM pg_proc p WHERE p.oid = to_regprocedure('woes.verify_metrics()')),
          'TABLE(conversation_id uuid, number bigint, metric text, kept text, recomputed text)',
          'woes.verify_metrics returns TABLE (conversation_id uuid, number bigint, metric text, kept text, recomputed text)');
SELECT function_lang_is('woes', 'verify_metrics', ARRAY[]::name[], 'plpgsql', 'woes.verify_metrics is written in PL/pgSQL');
SELECT volatility_is('woes', 'verify_metrics', ARRAY[]::name[], 'stable', 'woes.verify_metrics is STABLE');
SELECT isnt_definer('woes', 'verify_metrics', ARRAY[]::name[], 'woes.verify_metrics is not SECURITY DEFINER (it runs as the caller)');
SELECT ok(coalesce((SELECT p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] FROM pg_proc p
                     WHERE p.oid = to_regprocedure('woes.verify_metrics()')), false),
          'woes.verify_metrics pins search_path');
SELECT function_privs_are('woes', 'verify_metrics', ARRAY[]::name[], r, ARRAY['EXECUTE'],
                          format('%s may execute woes.verify_metrics', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT function_privs_are('woes', 'verify_metrics', ARRAY[]::name[], r, ARRAY[]::name[],
                          format('%s may not execute woes.verify_metrics', r))
  FROM unnest(ARRAY['woes_analyst', 'public']) r ORDER BY r;
SELECT is(array(SELECT coalesce(r.rolname, 'PUBLIC') FROM pg_proc p, aclexplode(p.proacl) x
                  LEFT JOIN pg_roles r ON r.oid = x.grantee
                 WHERE p.oid = to_regprocedure('woes.verify_metrics()') AND x.grantee <> p.proowner
                 ORDER BY 1),
          ARRAY['woes_admin', 'woes_service']::name[],
          'nobody but the owner, woes_service and woes_admin holds EXECUTE on woes.verify_metrics');

--------------------------------------------------------------------------
-- woes.metrics_from_history(uuid): internal; as the caller, with a pinned
-- search_path; never PUBLIC, never analysts
--------------------------------------------------------------------------
SELECT has_function('woes', 'metrics_from_history', ARRAY['uuid'], 'woes.metrics_from_history(uuid) exists');
SELECT function_lang_is('woes', 'metrics_from_history', ARRAY['uuid'], 'plpgsql', 'woes.metrics_from_history is written in PL/pgSQL (Citus plans no parameter of an SQL function)');
SELECT volatility_is('woes', 'metrics_from_history', ARRAY['uuid'], 'stable', 'woes.metrics_from_history is STABLE');
SELECT isnt_definer('woes', 'metrics_from_history', ARRAY['uuid'], 'woes.metrics_from_history is not SECURITY DEFINER');
SELECT ok(coalesce((SELECT p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] FROM pg_proc p
                     WHERE p.oid = to_regprocedure('woes.metrics_from_history(uuid)')), false),
          'woes.metrics_from_history pins search_path');
-- it returns the conversation, its number, the kept values (jsonb) and
-- every metric column recomputed, as conversations has them
-- (verify_metrics compares the two)
SELECT is((SELECT pg_get_function_result(p.oid) FROM pg_proc p WHERE p.oid = to_regprocedure('woes.metrics_from_history(uuid)')),
          'TABLE(conversation_id uuid, number bigint, kept jsonb, recomputed jsonb, '
          || (SELECT string_agg(col || ' ' || typ, ', ' ORDER BY ord) FROM metric_columns) || ')',
          'woes.metrics_from_history returns the conversation, its number, the kept and recomputed values as text, and each metric column, with the type conversations has');
SELECT function_privs_are('woes', 'metrics_from_history', ARRAY['uuid'], r, ARRAY[]::name[],
                          format('%s may not execute woes.metrics_from_history', r))
  FROM unnest(ARRAY['woes_analyst', 'public']) r ORDER BY r;
SELECT function_privs_are('woes', 'metrics_from_history', ARRAY['uuid'], r, ARRAY['EXECUTE'],
                          format('%s may execute woes.metrics_from_history', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
-- nor through the catalog: no grant to PUBLIC (grantee 0) on either
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE p.oid IN (to_regprocedure('woes.verify_metrics()'), to_regprocedure('woes.metrics_from_history(uuid)'))
       AND x.grantee = 0
$$, 'PUBLIC holds EXECUTE on neither metric function');

-- comments: both; the internal one says so
SELECT ok(coalesce(obj_description(to_regprocedure(f), 'pg_proc'), '') <> '', format('%s has a comment', f))
  FROM unnest(ARRAY['woes.metrics_from_history(uuid)', 'woes.verify_metrics()']) f ORDER BY f;
SELECT ok(coalesce(obj_description(to_regprocedure('woes.metrics_from_history(uuid)'), 'pg_proc'), '') LIKE 'Internal: _%',
          'woes.metrics_from_history is documented as internal');

--------------------------------------------------------------------------
-- woes.field_stats(): the custom fields in aggregate for woes_bi.fields and
-- woes_bi.field_options.  SECURITY DEFINER (analysts have no policy on the
-- values), so: a pinned search_path, no PUBLIC, and the values' table
-- stays closed to analysts
--------------------------------------------------------------------------
SELECT has_function('woes', 'field_stats', ARRAY[]::name[], 'woes.field_stats() exists');
SELECT is_definer('woes', 'field_stats', ARRAY[]::name[], 'woes.field_stats is SECURITY DEFINER (analysts have no policy on the values)');
SELECT volatility_is('woes', 'field_stats', ARRAY[]::name[], 'stable', 'woes.field_stats is STABLE');
SELECT ok(coalesce((SELECT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig) FROM pg_proc p
                     WHERE p.oid = to_regprocedure('woes.field_stats()')), false),
          'woes.field_stats pins search_path');
SELECT function_privs_are('woes', 'field_stats', ARRAY[]::name[], r, ARRAY['EXECUTE'],
                          format('%s may execute woes.field_stats', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT function_privs_are('woes', 'field_stats', ARRAY[]::name[], 'public', ARRAY[]::name[],
                          'PUBLIC may not execute woes.field_stats');
SELECT ok(coalesce(obj_description(to_regprocedure('woes.field_stats()'), 'pg_proc'), '') LIKE 'Internal: _%',
          'woes.field_stats is documented as internal');
-- no view of woes_bi shows a conversation's own field value: neither has a
-- conversation column, and both read only field_stats()
SELECT is_empty($$
    SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE c.oid IN (to_regclass('woes_bi.fields'), to_regclass('woes_bi.field_options'))
       AND a.attnum > 0 AND (a.attname LIKE '%conversation\_id' OR a.attname = 'value')
$$, 'woes_bi.fields and woes_bi.field_options have no conversation id and no value column');
SELECT is_empty($$
    SELECT DISTINCT v.relname || ' reads ' || d.refobjid::regclass
      FROM pg_class v JOIN pg_rewrite r ON r.ev_class = v.oid
      JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass
     WHERE v.relnamespace = to_regnamespace('woes_bi') AND d.refobjid <> v.oid
       AND d.refobjid IN (to_regclass('woes.conversation_fields'), to_regclass('woes.field_definitions'))
$$, 'no view of woes_bi reads the field tables directly');
SELECT ok(NOT has_table_privilege('woes_analyst', 'woes.conversation_fields', 'SELECT')
          AND NOT has_any_column_privilege('woes_analyst', 'woes.conversation_fields', 'SELECT'),
          'woes_analyst may not read woes.conversation_fields');
SELECT is_empty($$
    SELECT pol.polname FROM pg_policy pol
     WHERE pol.polrelid = 'woes.conversation_fields'::regclass AND pol.polcmd IN ('r', '*')
       AND pg_get_expr(pol.polqual, pol.polrelid) LIKE '%analyst%'
$$, 'no policy lets the analyst audience read woes.conversation_fields');

--------------------------------------------------------------------------
-- woes.utc_day(): routing_stats's day, LEAKPROOF so that a day filter runs
-- before the policies (and can be an index condition); the same day as
-- (t AT TIME ZONE 'UTC')::date for every time, the infinities included
--------------------------------------------------------------------------
SELECT ok((SELECT p.proleakproof AND p.provolatile = 'i' AND p.proisstrict AND p.proparallel = 's'
             FROM pg_proc p WHERE p.oid = to_regprocedure('woes.utc_day(timestamptz)')),
          'woes.utc_day is LEAKPROOF, IMMUTABLE, STRICT and PARALLEL SAFE');
SELECT is_empty($$
    SELECT t FROM unnest(ARRAY['2026-01-05 00:00:00+00', '2026-01-04 23:59:59.999999+00', '2026-01-05 01:30+02',
                               '1999-12-31 23:59:59.999999+00', '2000-01-01 00:00+00', '1969-07-20 20:17:40+00',
                               '4713-11-24 00:00:00+00 BC', '294276-12-31 23:59:59+00', 'infinity', '-infinity']::timestamptz[]) t
     WHERE woes.utc_day(t) IS DISTINCT FROM (t AT TIME ZONE 'UTC')::date
$$, 'woes.utc_day(t) is (t AT TIME ZONE ''UTC'')::date, before and after 2000, at midnight, across zones and for the infinities');
SELECT is(woes.utc_day(NULL), NULL, 'woes.utc_day(NULL) is NULL');
SELECT function_privs_are('woes', 'utc_day', ARRAY['timestamp with time zone'], 'public', ARRAY['EXECUTE'],
                          'PUBLIC may execute woes.utc_day (a pure function, as the type support)');
SELECT ok(EXISTS (SELECT FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
                    WHERE d.classid = 'pg_rewrite'::regclass AND r.ev_class = 'woes_bi.routing_stats'::regclass
                      AND d.refclassid = 'pg_proc'::regclass
                      AND d.refobjid = 'woes.utc_day(timestamptz)'::regprocedure),
          'woes_bi.routing_stats buckets its days with woes.utc_day');

SELECT * FROM finish();
ROLLBACK;

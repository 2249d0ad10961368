-- pgTAP: the schema behind merging conversations (0.2.0): the history of
-- merges (woes.merges, written by the merged trigger alone, as the owner,
-- its rows completed by the C trigger merge_recorded of src/merge.c), a
-- conversation's merged_into_id and the merged trigger that holds every
-- path (woes.merge(), a raw UPDATE) to a merge's rules, the message_moved
-- trigger that lets a message move only to its conversation's merge
-- target, the messages' guard_update that freezes a message's contact,
-- the messages' foreign key (on the conversation alone: a merged message
-- keeps its customer) and customer_conversations' new column.  Their
-- policies and the audiences those name (no customer), row-level
-- security, privileges (nobody but the owner writes a merge), keys and
-- indexes, triggers, comments, and who may execute the merge functions and
-- how they run (woes.merge() as the caller, the trigger functions as the
-- owner).  Runs in one transaction that is rolled back, so it leaves the
-- database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(170);

-- the audiences a policy expression admits: the array literal given to
-- woes.in_audience(), sorted (NULL when the expression has none)
CREATE FUNCTION pg_temp.audiences(expr text) RETURNS text[]
    LANGUAGE sql IMMUTABLE
AS $$
    SELECT array_agg(a ORDER BY a)
      FROM unnest(string_to_array((regexp_match(expr, 'in_audience\(''\{([^}]*)\}''::'))[1], ',')) a
$$;

-- the policies merges must have, with its command and the audiences its
-- USING and WITH CHECK name (NULL: the clause is absent)
CREATE TEMP TABLE merge_policies (tab name, pol name, cmd text, using_aud text[], check_aud text[]);
INSERT INTO merge_policies VALUES
    ('merges', 'merges_read', 'SELECT', '{admin,agent,analyst,operator}', NULL);

--------------------------------------------------------------------------
-- Policies: exactly these; isolation RESTRICTIVE for every command; one
-- read policy and nothing that would let anyone write a merge; no policy
-- that admits a customer
--------------------------------------------------------------------------
SELECT policies_are('woes', 'merges', ARRAY['workspace_isolation', 'merges_read'],
    'merges has the isolation policy and a read policy, nothing else');

-- each policy's command
SELECT policy_cmd_is('woes', tab, pol, cmd, format('%s: %s applies to %s', tab, pol, cmd))
  FROM merge_policies ORDER BY tab, pol;
SELECT policy_cmd_is('woes', 'merges', 'workspace_isolation', 'ALL', 'merges: workspace_isolation applies to ALL');

-- every policy applies to every role (a policy TO some role would not
-- judge the others): the audience is in the expression, not the role list
SELECT is(p.roles, ARRAY['public']::name[], format('%s: %s applies to every role (TO PUBLIC)', e.tab, e.pol))
  FROM (SELECT tab, pol FROM merge_policies
        UNION ALL
        SELECT 'merges', 'workspace_isolation') e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;

-- isolation: RESTRICTIVE (no permissive policy can widen it), the context's
-- workspace for reading, in_workspace() for writing
SELECT is((SELECT p.permissive FROM pg_policies p
            WHERE p.schemaname = 'woes' AND p.tablename = 'merges' AND p.policyname = 'workspace_isolation'),
          'RESTRICTIVE', 'merges: workspace_isolation is RESTRICTIVE');
SELECT ok(coalesce((SELECT p.qual = '(workspace_id = woes.current_workspace())'
                           AND p.with_check = 'woes.in_workspace(workspace_id)'
                      FROM pg_policies p
                     WHERE p.schemaname = 'woes' AND p.tablename = 'merges' AND p.policyname = 'workspace_isolation'), false),
          'merges: workspace_isolation admits and lets be written only the context''s workspace');

-- the audiences each policy names (read from the policy text, where
-- woes.in_audience('{...}') is the audience test)
SELECT is(pg_temp.audiences(p.qual), e.using_aud, format('%s: %s USING admits %s', e.tab, e.pol, coalesce(e.using_aud::text, 'nobody (no clause)')))
  FROM merge_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
SELECT is(pg_temp.audiences(p.with_check), e.check_aud, format('%s: %s WITH CHECK admits %s', e.tab, e.pol, coalesce(e.check_aud::text, 'nobody (no clause)')))
  FROM merge_policies e
  LEFT JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
 ORDER BY e.tab, e.pol;
-- and the clauses each has: a read policy no WITH CHECK (so the audience
-- tests above are all there is)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM merge_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NULL) <> (e.using_aud IS NULL) OR (p.with_check IS NULL) <> (e.check_aud IS NULL)
$$, 'the merge policies have exactly the USING and WITH CHECK clauses expected');
-- Citus makes every policy permissive on the shards: each permissive policy
-- carries the workspace test itself (folded in by 80_row_security.sql)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM merge_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE (p.qual IS NOT NULL AND p.qual NOT LIKE '((workspace_id = woes.current_workspace()) AND %')
        OR (p.with_check IS NOT NULL AND p.with_check NOT LIKE '(woes.in_workspace(workspace_id) AND %')
$$, 'every permissive merge policy carries the workspace test itself');
-- ... and nothing but it and one audience test (no second in_audience()
-- or other condition the audience parse above would not see)
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM merge_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.qual !~ '^\(\(workspace_id = woes\.current_workspace\(\)\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
        OR p.with_check !~ '^\(woes\.in_workspace\(workspace_id\) AND woes\.in_audience\(''\{[a-z,]+\}''::woes\.audience\[\]\)\)$'
$$, 'each merge policy clause is the workspace test and one audience test, nothing else');
SELECT is_empty($$
    SELECT e.tab || '.' || e.pol FROM merge_policies e
      JOIN pg_policies p ON p.schemaname = 'woes' AND p.tablename = e.tab AND p.policyname = e.pol
     WHERE p.permissive <> 'PERMISSIVE'
$$, 'the audience policies are permissive (only workspace_isolation is restrictive)');
-- no permissive policy for any write: only the owner (the merged trigger) writes
SELECT is_empty($$
    SELECT p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename = 'merges' AND p.permissive = 'PERMISSIVE' AND p.cmd <> 'SELECT'
$$, 'no permissive policy of merges admits an INSERT, UPDATE or DELETE');

-- customers see none of it: no policy of merges admits a customer, by any
-- audience list or any other test of who the caller is
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p,
           LATERAL (SELECT m[1] AS list
                      FROM regexp_matches(coalesce(p.qual, '') || ' ' || coalesce(p.with_check, ''),
                                          'in_audience\(''\{([^}]*)\}''', 'g') m) l
     WHERE p.schemaname = 'woes' AND p.tablename = 'merges'
       AND 'customer' = ANY (string_to_array(l.list, ','))
$$, 'no policy of merges names the customer audience');
SELECT is_empty($$
    SELECT p.tablename || '.' || p.policyname FROM pg_policies p
     WHERE p.schemaname = 'woes' AND p.tablename = 'merges'
       AND coalesce(p.qual, '') || ' ' || coalesce(p.with_check, '') ~ '(customer|contact|current_actor|can_see)'
$$, 'no policy of merges tests for a customer or contact');

-- row-level security: enabled and forced (the owner too)
SELECT ok(coalesce((SELECT c.relrowsecurity AND c.relforcerowsecurity FROM pg_class c
                     WHERE c.oid = to_regclass('woes.merges')), false),
          'merges: row-level security enabled and forced');

--------------------------------------------------------------------------
-- Table privileges: the history is written by the merged trigger only (as
-- the owner): the backend and admins read it, nobody writes it; analysts
-- have no privilege (no view of woes_bi reads it)
--------------------------------------------------------------------------
SELECT table_privs_are('woes', 'merges', r,
                       CASE WHEN r = 'woes_analyst' THEN ARRAY[]::name[] ELSE ARRAY['SELECT'] END,
                       format(CASE WHEN r = 'woes_analyst' THEN '%s has no privilege on woes.merges'
                                   ELSE '%s may only read woes.merges' END, r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst']) r ORDER BY r;
SELECT table_privs_are('woes', 'merges', 'public', ARRAY[]::name[], 'PUBLIC has no privilege on woes.merges');
SELECT is(has_table_privilege(r, 'woes.merges', 'INSERT, UPDATE, DELETE')
          OR has_any_column_privilege(r, 'woes.merges', 'INSERT, UPDATE'), false,
          format('%s may not write woes.merges (the merged trigger writes it, as the owner)', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY r;
SELECT is_empty($$
    SELECT c.relname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_class c, aclexplode(c.relacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE c.oid = 'woes.merges'::regclass
       AND x.grantee <> c.relowner AND x.privilege_type <> 'SELECT'
$$, 'nobody but the owner holds anything but SELECT on woes.merges');
-- ... nor on a column of it
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname || ': ' || coalesce(r.rolname, 'PUBLIC') || ' ' || x.privilege_type
      FROM pg_attribute a, aclexplode(a.attacl) x
      LEFT JOIN pg_roles r ON r.oid = x.grantee
     WHERE a.attrelid = 'woes.merges'::regclass
$$, 'no column of woes.merges has privileges of its own');
-- TRUNCATE ignores row-level security (and the triggers): nobody may
SELECT is(has_table_privilege(r, 'woes.merges', 'TRUNCATE'), false, format('%s may not TRUNCATE woes.merges', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY r;

--------------------------------------------------------------------------
-- The table: its columns, keys, checks, foreign keys and indexes
--------------------------------------------------------------------------
SELECT has_table('woes', 'merges', 'woes.merges is a table');
SELECT columns_are('woes', 'merges',
    ARRAY['workspace_id', 'source_id', 'target_id', 'messages', 'actor_kind', 'actor_id', 'reason', 'created_at'],
    'merges has exactly its columns');
CREATE TEMP TABLE merge_columns (col name, typ text, not_null boolean);
INSERT INTO merge_columns VALUES
    ('workspace_id', 'uuid',                     true),
    ('source_id',    'uuid',                     true),
    ('target_id',    'uuid',                     true),
    ('messages',     'integer',                  true),
    ('actor_kind',   'text',                     true),
    ('actor_id',     'uuid',                     false),
    ('reason',       'text',                     false),
    ('created_at',   'timestamp with time zone', true);
SELECT col_type_is('woes', 'merges', col, typ, format('merges.%s is %s', col, typ))
  FROM merge_columns ORDER BY col;
SELECT col_not_null('woes', 'merges', col, format('merges.%s is NOT NULL', col))
  FROM merge_columns WHERE not_null ORDER BY col;
SELECT col_is_null('woes', 'merges', col, format('merges.%s may be NULL', col))
  FROM merge_columns WHERE NOT not_null ORDER BY col;
-- defaults: the context's workspace and now(); nothing else has one (the
-- actor comes from the context, by the merge_recorded trigger)
SELECT col_default_is('woes', 'merges', 'workspace_id', 'woes.context_workspace()',
    'merges.workspace_id defaults to the context''s workspace');
SELECT col_default_is('woes', 'merges', 'created_at', 'now()', 'merges.created_at defaults to now()');
SELECT is(array(SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = 'woes.merges'::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.atthasdef
                 ORDER BY a.attnum),
          ARRAY['workspace_id', 'created_at']::name[], 'only workspace_id and created_at of merges have defaults');

-- a conversation is merged once: the primary key is its source, leading
-- with workspace_id (the distribution column on Citus)
SELECT col_is_pk('woes', 'merges', ARRAY['workspace_id', 'source_id'],
    'merges: primary key (workspace_id, source_id)');
-- what was merged into a conversation, by index
SELECT has_index('woes', 'merges', 'merges_target_idx', ARRAY['workspace_id', 'target_id'],
    'merges_target_idx indexes (workspace_id, target_id)');
SELECT is((SELECT i.indisunique FROM pg_index i WHERE i.indexrelid = to_regclass('woes.merges_target_idx')),
          false, 'merges_target_idx is not unique (many conversations may be merged into one)');
SELECT indexes_are('woes', 'merges', ARRAY['merges_pkey', 'merges_target_idx'],
    'merges has its primary key and target indexes, nothing else');
SELECT is_empty($$
    SELECT i.indexrelid::regclass::text FROM pg_index i
     WHERE i.indrelid = 'woes.merges'::regclass
       AND i.indkey[0] <> (SELECT a.attnum FROM pg_attribute a
                            WHERE a.attrelid = i.indrelid AND a.attname = 'workspace_id')
$$, 'every index of merges leads with workspace_id');

-- the checks: exactly these
SELECT is(array(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                 WHERE c.conrelid = 'woes.merges'::regclass AND c.contype = 'c'
                 ORDER BY 1),
          ARRAY['CHECK ((actor_kind = ANY (ARRAY[''customer''::text, ''agent''::text, ''operator''::text, ''system''::text])))',
                'CHECK ((length(reason) <= 1000))',
                'CHECK ((messages >= 0))',
                'CHECK ((source_id <> target_id))'],
          'merges checks the actor kind, the reason''s length, a count of messages >= 0 and that source and target differ');
SELECT col_has_check('woes', 'merges', c, format('merges.%s has a check', c))
  FROM unnest(ARRAY['actor_kind', 'messages', 'reason']) c ORDER BY c;
SELECT col_has_check('woes', 'merges', ARRAY['source_id', 'target_id'], 'merges: a check on (source_id, target_id)');
SELECT is_empty($$
    SELECT c.conname FROM pg_constraint c
     WHERE c.conrelid = 'woes.merges'::regclass AND c.contype = 'c' AND NOT c.convalidated
$$, 'every check of merges is validated');

-- foreign keys: a merge goes with either of its conversations
SELECT fk_ok('woes', 'merges', ARRAY['workspace_id', 'source_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'merges refer to their source conversation');
SELECT fk_ok('woes', 'merges', ARRAY['workspace_id', 'target_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'merges refer to their target conversation');
SELECT is(array_agg(confrelid::regclass::text || ':' || confdeltype::text ORDER BY confrelid::regclass::text),
          ARRAY['woes.conversations:c', 'woes.conversations:c'],
          'a merge goes with its source or its target (ON DELETE CASCADE), and refers to nothing else')
  FROM pg_constraint WHERE conrelid = 'woes.merges'::regclass AND contype = 'f';
SELECT is_empty($$
    SELECT conrelid::regclass || '.' || conname FROM pg_constraint
     WHERE conrelid = 'woes.merges'::regclass
       AND contype = 'f' AND (condeferrable OR confupdtype <> 'a')
$$, 'the merge foreign keys are checked at once and NO ACTION on update (keys never change)');

--------------------------------------------------------------------------
-- Triggers: merges' rows frozen, written only with a context, the merge
-- recorded (and only by the merged trigger); no id (the key is the
-- source).  The rules of a merge on every path: the merged trigger on
-- conversations, message_moved on messages, and messages' guard_update,
-- which freezes a message's contact (who reads it)
--------------------------------------------------------------------------
SELECT triggers_are('woes', 'merges', ARRAY['guard_update', 'merge_recorded', 'require_context'],
    'merges has the guard_update, merge_recorded and require_context triggers');

-- each trigger's function and when it fires; tgtype: ROW (1), BEFORE (2),
-- INSERT (4), DELETE (8), UPDATE (16)
CREATE TEMP TABLE merge_triggers (tab name, trg name, func name, tgtype int, fires text);
INSERT INTO merge_triggers VALUES
    ('merges',        'guard_update',    'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('merges',        'merge_recorded',  'merge_recorded',  7,  'BEFORE INSERT, FOR EACH ROW'),
    ('merges',        'require_context', 'require_context', 30, 'BEFORE INSERT OR UPDATE OR DELETE, FOR EACH STATEMENT'),
    -- merged: a new conversation starts unmerged (INSERT), and the pointer
    -- is set by the rules (UPDATE OF merged_into_id)
    ('conversations', 'merged',          'merged',          23, 'BEFORE INSERT OR UPDATE, FOR EACH ROW'),
    -- message_moved: UPDATE only (the message trigger fills contact_id and
    -- follows merges on INSERT); guard_update freezes contact_id
    ('messages',      'guard_update',    'guard_update',    19, 'BEFORE UPDATE, FOR EACH ROW'),
    ('messages',      'message_moved',   'message_moved',   19, 'BEFORE UPDATE, FOR EACH ROW');
SELECT trigger_is('woes', tab, trg, 'woes', func, format('%s.%s calls woes.%s()', tab, trg, func))
  FROM merge_triggers ORDER BY tab, trg;
SELECT is(t.tgtype::int, e.tgtype, format('%s.%s fires %s', e.tab, e.trg, e.fires))
  FROM merge_triggers e
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg
 ORDER BY e.tab, e.trg;
-- a merge row is frozen whole
SELECT is((SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
            WHERE t.tgrelid = 'woes.merges'::regclass AND t.tgname = 'guard_update'),
          'CREATE TRIGGER guard_update BEFORE UPDATE ON woes.merges FOR EACH ROW EXECUTE FUNCTION woes.guard_update('
          '''workspace_id'', ''source_id'', ''target_id'', ''messages'', ''actor_kind'', ''actor_id'', ''reason'', ''created_at'')',
          'merges.guard_update freezes every column');
SELECT is_empty($$
    SELECT a.attname FROM pg_attribute a
     WHERE a.attrelid = 'woes.merges'::regclass AND a.attnum > 0 AND NOT a.attisdropped
       AND NOT EXISTS (SELECT FROM pg_trigger t,
                                   unnest(array_remove(string_to_array(encode(t.tgargs, 'escape'), '\000'), '')) col
                        WHERE t.tgrelid = 'woes.merges'::regclass AND t.tgname = 'guard_update'
                          AND col = a.attname)
$$, 'no column of merges is left out of guard_update');
SELECT is((SELECT t.tgnargs::int FROM pg_trigger t WHERE t.tgrelid = 'woes.merges'::regclass AND t.tgname = 'merge_recorded'),
          0, 'merges.merge_recorded takes no arguments');

-- the rules' triggers, exactly: the columns whose UPDATE fires them
-- (UPDATE OF: others skip them), message_moved only when the conversation
-- really changes, no arguments
SELECT is(pg_get_triggerdef(t.oid), e.def, format('%s.%s is defined as expected', e.tab, e.trg))
  FROM (VALUES ('conversations', 'merged',
                'CREATE TRIGGER merged BEFORE INSERT OR UPDATE OF merged_into_id ON woes.conversations FOR EACH ROW '
                'EXECUTE FUNCTION woes.merged()'),
               ('messages', 'message_moved',
                'CREATE TRIGGER message_moved BEFORE UPDATE OF conversation_id ON woes.messages FOR EACH ROW '
                'WHEN ((old.conversation_id IS DISTINCT FROM new.conversation_id)) EXECUTE FUNCTION woes.message_moved()'))
       e(tab, trg, def)
  LEFT JOIN pg_trigger t ON t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg
 ORDER BY e.tab;
SELECT is((SELECT array(SELECT a.attname FROM unnest(t.tgattr::int2[]) k
                          JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k ORDER BY a.attname)
             FROM pg_trigger t WHERE t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg),
          e.cols, format('%s.%s fires on an update of %s (only)', e.tab, e.trg, e.cols))
  FROM (VALUES ('conversations', 'merged',        ARRAY['merged_into_id']::name[]),
               ('messages',      'message_moved', ARRAY['conversation_id']::name[])) e(tab, trg, cols)
 ORDER BY e.tab;
SELECT is((SELECT t.tgnargs::int FROM pg_trigger t WHERE t.tgrelid = to_regclass('woes.' || e.tab) AND t.tgname = e.trg),
          0, format('%s.%s takes no arguments', e.tab, e.trg))
  FROM (VALUES ('conversations', 'merged'), ('messages', 'message_moved')) e(tab, trg)
 ORDER BY e.tab;
SELECT is(array(SELECT t.tgrelid::regclass || '.' || t.tgname || ': ' || t.tgfoid::regproc FROM pg_trigger t
                 WHERE t.tgfoid IN (to_regprocedure('woes.merged()'), to_regprocedure('woes.message_moved()'),
                                    to_regprocedure('woes.merge_recorded()'))
                 ORDER BY 1),
          ARRAY['woes.conversations.merged: woes.merged', 'woes.merges.merge_recorded: woes.merge_recorded',
                'woes.messages.message_moved: woes.message_moved'],
          'woes.merged(), woes.message_moved() and woes.merge_recorded() fire on their tables, nowhere else');

-- a message's contact (the customer who reads it) never changes; its
-- conversation does, by a merge (message_moved)
SELECT is((SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t
            WHERE t.tgrelid = 'woes.messages'::regclass AND t.tgname = 'guard_update'),
          'CREATE TRIGGER guard_update BEFORE UPDATE ON woes.messages FOR EACH ROW EXECUTE FUNCTION woes.guard_update('
          '''workspace_id'', ''id'', ''author_kind'', ''author_id'', ''contact_id'', ''created_at'')',
          'messages.guard_update freezes workspace_id, id, author_kind, author_id, contact_id and created_at');
SELECT is((SELECT 'contact_id' = ANY (string_to_array(encode(t.tgargs, 'escape'), '\000'))
                  AND NOT 'conversation_id' = ANY (string_to_array(encode(t.tgargs, 'escape'), '\000'))
             FROM pg_trigger t WHERE t.tgrelid = 'woes.messages'::regclass AND t.tgname = 'guard_update'),
          true, 'messages.guard_update keeps contact_id and leaves conversation_id to message_moved');

SELECT is_empty($$
    SELECT t.tgrelid::regclass || '.' || t.tgname FROM pg_trigger t
     WHERE NOT t.tgisinternal
       AND (t.tgrelid = 'woes.merges'::regclass
            OR (t.tgrelid = 'woes.conversations'::regclass AND t.tgname = 'merged')
            OR (t.tgrelid = 'woes.messages'::regclass AND t.tgname IN ('guard_update', 'message_moved')))
       AND t.tgenabled <> 'O'
$$, 'every trigger of merges, merged, message_moved and messages.guard_update is enabled');
SELECT is(count(*)::int, 6, 'all six of those triggers exist (the test above sees them all)')
  FROM pg_trigger t
 WHERE NOT t.tgisinternal
   AND (t.tgrelid = 'woes.merges'::regclass
        OR (t.tgrelid = 'woes.conversations'::regclass AND t.tgname = 'merged')
        OR (t.tgrelid = 'woes.messages'::regclass AND t.tgname IN ('guard_update', 'message_moved')));

--------------------------------------------------------------------------
-- conversations.merged_into_id: set once, by the merged trigger's rules
-- (woes.merge() sets it as the caller), last of the table (0.2.0 adds it
-- there, so a fresh install and an update agree)
--------------------------------------------------------------------------
SELECT has_column('woes', 'conversations', 'merged_into_id', 'conversations has a column merged_into_id');
SELECT col_type_is('woes', 'conversations', 'merged_into_id', 'uuid', 'conversations.merged_into_id is uuid');
SELECT col_is_null('woes', 'conversations', 'merged_into_id', 'conversations.merged_into_id may be NULL (not merged)');
SELECT col_hasnt_default('woes', 'conversations', 'merged_into_id', 'conversations.merged_into_id has no default');
SELECT is((SELECT a.attname FROM pg_attribute a
            WHERE a.attrelid = 'woes.conversations'::regclass AND NOT a.attisdropped
              AND a.attnum > (SELECT u.attnum FROM pg_attribute u
                               WHERE u.attrelid = 'woes.conversations'::regclass AND u.attname = 'updated_at')
            ORDER BY a.attnum LIMIT 1),
          'merged_into_id'::name, 'merged_into_id is the first column of conversations added by 0.2.0 (after updated_at)');
SELECT fk_ok('woes', 'conversations', ARRAY['workspace_id', 'merged_into_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'conversations.merged_into_id refers to a conversation of the same workspace');
SELECT ok(coalesce((SELECT bool_and(c.confdeltype = 'a' AND c.confupdtype = 'a' AND NOT c.condeferrable)
                      FROM pg_constraint c
                     WHERE c.conrelid = 'woes.conversations'::regclass AND c.contype = 'f'
                       AND c.conkey = ARRAY[(SELECT attnum FROM pg_attribute WHERE attrelid = 'woes.conversations'::regclass AND attname = 'workspace_id'),
                                            (SELECT attnum FROM pg_attribute WHERE attrelid = 'woes.conversations'::regclass AND attname = 'merged_into_id')]::int2[]), false),
          'conversations.merged_into_id: NO ACTION on delete and update, not deferrable (a merge target stays)');
-- analysts read it, as the other columns they may read
SELECT column_privs_are('woes', 'conversations', 'merged_into_id', 'woes_analyst', ARRAY['SELECT'],
    'woes_analyst may read conversations.merged_into_id (only)');
SELECT is((SELECT a.attacl::text FROM pg_attribute a
            WHERE a.attrelid = 'woes.conversations'::regclass AND a.attname = 'merged_into_id'),
          (SELECT a.attacl::text FROM pg_attribute a
            WHERE a.attrelid = 'woes.conversations'::regclass AND a.attname = 'previous_conversation_id'),
          'conversations.merged_into_id has the column privileges of previous_conversation_id');
SELECT is(has_column_privilege('public', 'woes.conversations', 'merged_into_id', 'SELECT, INSERT, UPDATE, REFERENCES'),
          false, 'PUBLIC has no privilege on conversations.merged_into_id');

--------------------------------------------------------------------------
-- messages: the key is on the conversation alone (a merged message keeps
-- its contact, the customer who reads it)
--------------------------------------------------------------------------
SELECT fk_ok('woes', 'messages', ARRAY['workspace_id', 'conversation_id'],
             'woes', 'conversations', ARRAY['workspace_id', 'id'],
             'messages refer to their conversation by (workspace_id, conversation_id)');
SELECT is(array(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
                 WHERE c.conrelid = 'woes.messages'::regclass AND c.contype = 'f'
                   AND c.confrelid = 'woes.conversations'::regclass),
          ARRAY['FOREIGN KEY (workspace_id, conversation_id) REFERENCES woes.conversations(workspace_id, id) ON DELETE CASCADE'],
          'messages have one key to conversations, on (workspace_id, conversation_id), ON DELETE CASCADE');
SELECT is_empty($$
    SELECT c.conname FROM pg_constraint c, unnest(c.conkey) k
      JOIN pg_attribute a ON a.attrelid = 'woes.messages'::regclass AND a.attnum = k
     WHERE c.conrelid = 'woes.messages'::regclass AND c.contype = 'f' AND a.attname = 'contact_id'
$$, 'no foreign key of messages includes contact_id (none on (workspace_id, conversation_id, contact_id))');
SELECT ok(coalesce((SELECT bool_and(NOT c.condeferrable AND c.confupdtype = 'a') FROM pg_constraint c
                     WHERE c.conrelid = 'woes.messages'::regclass AND c.contype = 'f'
                       AND c.confrelid = 'woes.conversations'::regclass), false),
          'messages -> conversations is checked at once and NO ACTION on update');

--------------------------------------------------------------------------
-- customer_conversations: where a merged conversation went, last (CREATE
-- OR REPLACE VIEW in the update adds columns at the end only)
--------------------------------------------------------------------------
SELECT has_column('woes', 'customer_conversations', 'merged_into_id', 'customer_conversations has a column merged_into_id');
SELECT col_type_is('woes', 'customer_conversations', 'merged_into_id', 'uuid', 'customer_conversations.merged_into_id is uuid');
SELECT is(array(SELECT a.attname FROM pg_attribute a
                 WHERE a.attrelid = 'woes.customer_conversations'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                 ORDER BY a.attnum),
          ARRAY['id', 'number', 'channel', 'subject', 'status', 'previous_conversation_id', 'created_at',
                'last_message_at', 'workspace_id', 'merged_into_id']::name[],
          'customer_conversations has exactly its contract columns, merged_into_id last');

--------------------------------------------------------------------------
-- Comments: the table, the new column, every policy (the mark 'Defined by
-- woes.' tells woes's own policies from a DBA's), the functions
--------------------------------------------------------------------------
SELECT ok(coalesce(obj_description('woes.merges'::regclass, 'pg_class'), '') <> '', 'woes.merges has a comment');
SELECT ok(coalesce(col_description('woes.conversations'::regclass,
                                   (SELECT attnum FROM pg_attribute
                                     WHERE attrelid = 'woes.conversations'::regclass AND attname = 'merged_into_id')), '') <> '',
          'conversations.merged_into_id has a comment');
SELECT ok(coalesce(obj_description('woes.customer_conversations'::regclass, 'pg_class'), '') LIKE '%merged\_into\_id%',
          'woes.customer_conversations''s comment tells of merged_into_id');
SELECT ok(coalesce(obj_description(p.oid, 'pg_policy'), '') LIKE 'Defined by woes. _%',
          format('policy %s on %s has a comment starting ''Defined by woes.''', e.pol, e.tab))
  FROM (SELECT tab, pol FROM merge_policies
        UNION ALL
        SELECT 'merges', 'workspace_isolation') e
  LEFT JOIN pg_policy p ON p.polrelid = to_regclass('woes.' || e.tab) AND p.polname = e.pol
 ORDER BY e.tab, e.pol;
SELECT ok(coalesce(obj_description(to_regprocedure(f), 'pg_proc'), '') <> '', format('%s has a comment', f))
  FROM unnest(ARRAY['woes.merge(uuid, uuid, text)', 'woes.merge_recorded()', 'woes.merged()', 'woes.message_moved()']) f
 ORDER BY f;
-- the trigger functions say they are internal (woes.doctor() holds those
-- to no EXECUTE for PUBLIC)
SELECT ok(coalesce(obj_description(to_regprocedure(f), 'pg_proc'), '') LIKE 'Internal trigger: _%', format('%s is documented as an internal trigger', f))
  FROM unnest(ARRAY['woes.merge_recorded()', 'woes.merged()', 'woes.message_moved()']) f
 ORDER BY f;
-- and woes.merge() says it runs as the caller
SELECT ok(coalesce(obj_description(to_regprocedure('woes.merge(uuid, uuid, text)'), 'pg_proc'), '') LIKE '%as the caller%',
          'woes.merge(uuid, uuid, text)''s comment says it runs as the caller');

--------------------------------------------------------------------------
-- Functions: woes.merge() is for the backend and admins; never PUBLIC,
-- never analysts; the trigger functions for nobody
--------------------------------------------------------------------------
SELECT function_privs_are('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], r, ARRAY['EXECUTE'],
                          format('%s may execute woes.merge', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT function_privs_are('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], r, ARRAY[]::name[],
                          format('%s may not execute woes.merge', r))
  FROM unnest(ARRAY['woes_analyst', 'public']) r ORDER BY r;
SELECT is(array(SELECT coalesce(r.rolname, 'PUBLIC') FROM pg_proc p, aclexplode(p.proacl) x
                  LEFT JOIN pg_roles r ON r.oid = x.grantee
                 WHERE p.oid = to_regprocedure('woes.merge(uuid, uuid, text)') AND x.grantee <> p.proowner
                 ORDER BY 1),
          ARRAY['woes_admin', 'woes_service']::name[],
          'nobody but the owner, woes_service and woes_admin holds EXECUTE on woes.merge');
-- nor through the catalog: no grant to PUBLIC (grantee 0) on any of them
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) x
     WHERE p.oid IN (to_regprocedure('woes.merge(uuid, uuid, text)'), to_regprocedure('woes.merge_recorded()'),
                     to_regprocedure('woes.merged()'), to_regprocedure('woes.message_moved()'))
       AND x.grantee = 0
$$, 'PUBLIC holds EXECUTE on none of the merge functions');
-- the trigger functions: the owner only
SELECT function_privs_are('woes', f, ARRAY[]::name[], r, ARRAY[]::name[], format('%s may not execute woes.%s', r, f))
  FROM unnest(ARRAY['merge_recorded', 'merged', 'message_moved']) f,
       unnest(ARRAY['woes_service', 'woes_admin', 'woes_analyst', 'public']) r
 ORDER BY f, r;
SELECT is_empty($$
    SELECT p.oid::regprocedure || ': ' || x.grantee::regrole::text FROM pg_proc p, aclexplode(p.proacl) x
     WHERE p.oid IN (to_regprocedure('woes.merge_recorded()'), to_regprocedure('woes.merged()'),
                     to_regprocedure('woes.message_moved()'))
       AND x.grantee <> p.proowner
$$, 'nobody but the owner holds EXECUTE on the merge trigger functions');

-- what they return, and in what they are written
SELECT function_returns('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], 'void', 'woes.merge returns void');
SELECT function_lang_is('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], 'plpgsql', 'woes.merge is written in PL/pgSQL');
SELECT volatility_is('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], 'volatile', 'woes.merge is VOLATILE');
SELECT is((SELECT pg_get_function_arguments(p.oid) FROM pg_proc p WHERE p.oid = to_regprocedure('woes.merge(uuid, uuid, text)')),
          'source uuid, target uuid, reason text DEFAULT NULL::text',
          'woes.merge takes (source, target, reason DEFAULT NULL)');
SELECT function_lang_is('woes', f, ARRAY[]::name[], l, format('woes.%s is written in %s', f, l))
  FROM (VALUES ('merge_recorded', 'c'), ('merged', 'plpgsql'), ('message_moved', 'plpgsql')) e(f, l)
 ORDER BY f;
SELECT function_returns('woes', f, ARRAY[]::name[], 'trigger', format('woes.%s is a trigger function', f))
  FROM unnest(ARRAY['merge_recorded', 'merged', 'message_moved']) f ORDER BY f;

-- woes.merge() runs as the caller (every statement held to the policies
-- and to the merge's rules: the merged and message_moved triggers), with a
-- pinned search_path and row_security on (no session can make the
-- triggers take a call for a restore)
SELECT isnt_definer('woes', 'merge', ARRAY['uuid', 'uuid', 'text'], 'woes.merge is not SECURITY DEFINER (it runs as the caller)');
SELECT ok(coalesce((SELECT p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'] FROM pg_proc p
                     WHERE p.oid = to_regprocedure('woes.merge(uuid, uuid, text)')), false),
          'woes.merge pins search_path');
SELECT ok(coalesce((SELECT p.proconfig @> ARRAY['row_security=on'] FROM pg_proc p
                     WHERE p.oid = to_regprocedure('woes.merge(uuid, uuid, text)')), false),
          'woes.merge sets row_security on');
SELECT is(array(SELECT s FROM pg_proc p, unnest(p.proconfig) s
                 WHERE p.oid = to_regprocedure('woes.merge(uuid, uuid, text)') ORDER BY 1),
          ARRAY['row_security=on', 'search_path=pg_catalog, pg_temp'],
          'woes.merge sets search_path and row_security, nothing else');
-- ... so whoever may call it needs what it does: the functions it calls
-- and the privileges on the tables it reads and writes (the merges row is
-- written by the merged trigger, as the owner)
SELECT is(array(SELECT f FROM unnest(ARRAY['woes.current_workspace()',
                                           'woes.require_audience(woes.audience[], text)',
                                           'woes.require_text(text, text, integer)',
                                           'woes.transition(uuid, woes.status, text, timestamptz, uuid)']) f
                 WHERE to_regprocedure(f) IS NULL OR NOT has_function_privilege(r, to_regprocedure(f), 'EXECUTE')
                 ORDER BY 1),
          ARRAY[]::text[], format('%s may execute every function woes.merge calls', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;
SELECT is(array(SELECT e.tab || ' ' || e.priv
                  FROM (VALUES ('woes.conversations', 'SELECT'), ('woes.conversations', 'UPDATE'),
                               ('woes.messages', 'SELECT'), ('woes.messages', 'UPDATE'),
                               ('woes.participants', 'SELECT'), ('woes.participants', 'UPDATE'),
                               ('woes.thread_refs', 'SELECT'), ('woes.thread_refs', 'UPDATE'),
                               ('woes.conversation_tags', 'SELECT'), ('woes.conversation_tags', 'INSERT'),
                               ('woes.conversation_tags', 'DELETE'),
                               ('woes.conversation_issues', 'SELECT'), ('woes.conversation_issues', 'INSERT'),
                               ('woes.conversation_issues', 'DELETE'),
                               ('woes.conversation_fields', 'SELECT'), ('woes.conversation_fields', 'INSERT'),
                               ('woes.conversation_fields', 'DELETE')) e(tab, priv)
                 WHERE to_regclass(e.tab) IS NULL OR NOT has_table_privilege(r, to_regclass(e.tab), e.priv)
                 ORDER BY 1),
          ARRAY[]::text[], format('%s holds every table privilege woes.merge uses', r))
  FROM unnest(ARRAY['woes_service', 'woes_admin']) r ORDER BY r;

-- the rules' trigger functions run as the owner (they read every
-- conversation and message of the workspace and write the merge), with a
-- pinned search_path, and leave row_security to the session: that is
-- where a real restore is recognised
SELECT is_definer('woes', f, ARRAY[]::name[], format('woes.%s is SECURITY DEFINER', f))
  FROM unnest(ARRAY['merged', 'message_moved']) f ORDER BY f;
SELECT is((SELECT p.proconfig FROM pg_proc p WHERE p.oid = to_regprocedure('woes.' || f || '()')),
          ARRAY['search_path=pg_catalog, pg_temp'],
          format('woes.%s (SECURITY DEFINER) pins search_path and sets nothing else', f))
  FROM unnest(ARRAY['merged', 'message_moved']) f ORDER BY f;
-- ... as the role that owns the tables (merge_recorded lets through that
-- role alone)
SELECT is(array(SELECT DISTINCT c.relowner FROM pg_class c
                 WHERE c.oid IN ('woes.conversations'::regclass, 'woes.messages'::regclass, 'woes.merges'::regclass)),
          array(SELECT DISTINCT p.proowner FROM pg_proc p
                 WHERE p.oid IN (to_regprocedure('woes.merged()'), to_regprocedure('woes.message_moved()'))),
          'woes.merged and woes.message_moved are owned by the owner of conversations, messages and merges');
-- merge_recorded judges the role writing the row: not SECURITY DEFINER
SELECT isnt_definer('woes', 'merge_recorded', ARRAY[]::name[], 'woes.merge_recorded is not SECURITY DEFINER');
SELECT is_empty($$
    SELECT p.oid::regprocedure::text FROM pg_proc p, unnest(p.proconfig) s
     WHERE p.oid IN (to_regprocedure('woes.merge_recorded()'), to_regprocedure('woes.merged()'),
                     to_regprocedure('woes.message_moved()'))
       AND s LIKE 'row\_security=%'
$$, 'the merge trigger functions do not set row_security');

--------------------------------------------------------------------------
-- Free text stays out of the planner's statistics; the table is
-- registered for pg_dump
--------------------------------------------------------------------------
SELECT is_empty($$
    SELECT a.attrelid::regclass || '.' || a.attname FROM pg_attribute a
     WHERE a.attrelid = 'woes.merges'::regclass
       AND a.attnum > 0 AND NOT a.attisdropped
       AND (a.atttypid IN ('text'::regtype, 'jsonb'::regtype, 'json'::regtype)
            OR (SELECT ty.typcategory FROM pg_type ty WHERE ty.oid = a.atttypid) = 'A')
       AND a.attname <> 'actor_kind'
       AND coalesce(a.attstattarget, -1) <> 0
$$, 'the free text of merges has statistics target 0');
SELECT ok(coalesce((SELECT 'woes.merges'::regclass = ANY (e.extconfig) FROM pg_extension e WHERE e.extname = 'woes'), false),
          'woes.merges is registered for pg_dump');

SELECT * FROM finish();
ROLLBACK;

-- The schema side of the hardening: ids made by woes, rules pinned in the
-- API, free text out of the statistics, the session-context setting kept
-- for superusers, and the pooled application role unbindable.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
SELECT plan(16);
LOAD 'woes';

-- ids
SELECT is((SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
            WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r'
              AND a.attname = 'id' AND a.atttypid = 'uuid'::regtype AND a.atthasdef),
          0::bigint, 'no uuid id column has a default');
SELECT trigger_is('woes', 'conversations', '_assign_id', 'woes', 'assign_id',
                  'conversations get their ids from woes.assign_id()');
SELECT trigger_is('woes', 'messages', '_assign_id', 'woes', 'assign_id',
                  'messages get their ids from woes.assign_id()');
SELECT trigger_is('woes', 'contacts', '_assign_id', 'woes', 'assign_id',
                  'contacts get their ids from woes.assign_id()');
SELECT is((SELECT min(t.tgname) FROM pg_trigger t
            WHERE t.tgrelid = 'woes.conversations'::regclass AND NOT t.tgisinternal
              AND (t.tgtype & 2) <> 0 AND (t.tgtype & 4) <> 0 AND (t.tgtype & 1) <> 0),
          '_assign_id'::text, 'the id trigger fires first of the BEFORE INSERT row triggers');
SELECT trigger_is('woes', 'message_traces', 'trace_author', 'woes', 'trace_author',
                  'a trace''s author comes from its message');

-- the API runs with row_security on
SELECT is((SELECT array_agg(p.proname::text ORDER BY p.proname) FROM pg_proc p
            WHERE p.pronamespace = 'woes'::regnamespace AND p.provolatile = 'v'
              AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
              AND p.prorettype <> 'trigger'::regtype
              AND NOT coalesce(p.proconfig && ARRAY['row_security=on'], false)),
          NULL::text[], 'every SQL API function pins row_security = on');
SELECT ok((SELECT proconfig && ARRAY['row_security=on'] FROM pg_proc
            WHERE oid = 'woes.wake_snoozed(timestamptz)'::regprocedure),
          'wake_snoozed pins row_security = on');
SELECT ok((SELECT proconfig IS NULL OR NOT proconfig && ARRAY['row_security=on'] FROM pg_proc
            WHERE oid = 'woes.allocate_conversation_number()'::regprocedure),
          'trigger functions do not (a restore is recognised there)');
SELECT is(has_function_privilege('woes_service', 'woes.restoring()', 'EXECUTE'), false,
          'restoring() is internal');

-- statistics
SELECT is((SELECT attstattarget FROM pg_attribute
            WHERE attrelid = 'woes.messages'::regclass AND attname = 'body')::int,
          0, 'message bodies have no planner statistics');
SELECT is((SELECT attstattarget FROM pg_attribute
            WHERE attrelid = 'woes.conversations'::regclass AND attname = 'subject')::int,
          0, 'subjects have no planner statistics');
SELECT isnt((SELECT attstattarget FROM pg_attribute
              WHERE attrelid = 'woes.conversations'::regclass AND attname = 'channel')::int,
            0, 'channel names keep theirs');

-- the session-context setting
SELECT is((SELECT context FROM pg_settings WHERE name = 'woes.allow_session_context'),
          'superuser', 'woes.allow_session_context is for superusers');
SELECT is(has_parameter_privilege('woes_service', 'woes.allow_session_context', 'SET'), false,
          'woes_service may not set woes.allow_session_context');

-- bind_role and the pooled application role
CREATE ROLE woes_tap_pooled LOGIN IN ROLE woes_service;
SELECT throws_ok(format($$SELECT woes.bind_role('woes_tap_pooled', %L, 'operator')$$,
                        woes.create_workspace('tap-bind', 'Tap bind')),
                 'WO003', NULL, 'a woes_service member cannot be bound');

SELECT * FROM finish();
ROLLBACK;

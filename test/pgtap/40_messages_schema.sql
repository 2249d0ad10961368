-- pgTAP: the schema behind messages and visibility.  Policies on messages,
-- traces and thread keys; who holds which privilege on them; the views
-- (security_invoker; RLS is the barrier); who may call the
-- writing functions; can_see is LEAKPROOF and IMMUTABLE.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
-- the login roles of the pg_regress fixtures, if this cluster lacks them
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN
        CREATE ROLE app LOGIN IN ROLE woes_service;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'boss') THEN
        CREATE ROLE boss LOGIN IN ROLE woes_admin;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bi') THEN
        CREATE ROLE bi LOGIN IN ROLE woes_analyst;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rando') THEN
        CREATE ROLE rando LOGIN;
    END IF;
END;
$$;

SELECT * FROM no_plan();

-- Row-level security: enabled and forced
SELECT ok(relrowsecurity AND relforcerowsecurity, format('RLS is enabled and forced on woes.%s', relname))
  FROM pg_class
 WHERE oid IN ('woes.messages'::regclass, 'woes.message_traces'::regclass, 'woes.thread_refs'::regclass)
 ORDER BY relname;

-- Policies: exactly these
SELECT policies_are('woes', 'messages',
    ARRAY['workspace_isolation', 'messages_read', 'messages_customer_insert', 'messages_agent_insert',
          'messages_staff_insert', 'messages_staff_update', 'messages_admin_delete'],
    'messages has the isolation policy and the audience policies');
SELECT policies_are('woes', 'message_traces',
    ARRAY['workspace_isolation', 'message_traces_read', 'message_traces_insert', 'message_traces_staff_delete'],
    'message_traces has the isolation policy and the audience policies');
SELECT policies_are('woes', 'thread_refs', ARRAY['workspace_isolation', 'thread_refs_staff'],
    'thread_refs has the isolation policy and the staff policy');
-- isolation is restrictive (no permissive policy can widen it); the rest permissive
SELECT is(polpermissive, false, format('%s on %s is RESTRICTIVE, for all commands', polname, polrelid::regclass::text))
  FROM pg_policy
 WHERE polrelid IN ('woes.messages'::regclass, 'woes.message_traces'::regclass, 'woes.thread_refs'::regclass)
   AND polname = 'workspace_isolation' AND polcmd = '*'
 ORDER BY polrelid::regclass::text;
SELECT policy_cmd_is('woes', 'messages', 'messages_read', 'select', 'messages_read is for SELECT');
SELECT policy_cmd_is('woes', 'message_traces', 'message_traces_read', 'select', 'message_traces_read is for SELECT');
SELECT policy_cmd_is('woes', 'message_traces', 'message_traces_insert', 'insert', 'message_traces_insert is for INSERT');
SELECT policy_cmd_is('woes', 'message_traces', 'message_traces_staff_delete', 'delete', 'message_traces_staff_delete is for DELETE');
-- policies read only the context: no subquery, no table lookup (Citus)
SELECT is(count(*), 0::bigint, 'no messages, traces or thread_refs policy contains a subquery')
  FROM pg_policies
 WHERE schemaname = 'woes' AND tablename IN ('messages', 'message_traces', 'thread_refs')
   AND (coalesce(qual, '') ~* '\mselect\M' OR coalesce(with_check, '') ~* '\mselect\M');
-- reading messages goes through can_see; traces too
SELECT ok(qual LIKE '%can_see(%', format('%s uses can_see', policyname))
  FROM pg_policies
 WHERE schemaname = 'woes' AND policyname IN ('messages_read', 'message_traces_read')
 ORDER BY policyname;

-- The trace is not a column of messages: it lives in its own table, which
-- has no customer policy (a column would be readable wherever its row is)
SELECT hasnt_column('woes', 'messages', 'trace', 'messages has no trace column');
SELECT has_column('woes', 'message_traces', 'trace', 'message_traces holds the trace');
SELECT is(count(*), 0::bigint, 'no message_traces policy mentions the customer audience')
  FROM pg_policies
 WHERE schemaname = 'woes' AND tablename = 'message_traces'
   AND (coalesce(qual, '') || coalesce(with_check, '')) LIKE '%customer%';
SELECT has_index('woes', 'messages', 'messages_conversation_idx', ARRAY['workspace_id', 'conversation_id', 'id'],
    'a conversation''s thread is read by index');
SELECT col_is_unique('woes', 'messages', ARRAY['workspace_id', 'channel', 'external_id'],
    'one message per (workspace, channel, external id)');
SELECT has_trigger('woes', 'messages', 'message_intake', 'messages have the intake trigger');

-- Table privileges
SELECT table_privs_are('woes', t, r, ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
                       format('%s may read and write woes.%s (RLS decides which rows)', r, t))
  FROM unnest(ARRAY['messages', 'message_traces', 'thread_refs']) t,
       unnest(ARRAY['woes_service', 'woes_admin', 'app', 'boss']) r
 ORDER BY t, r;
SELECT table_privs_are('woes', t, r, ARRAY[]::text[], format('%s has no privilege on woes.%s', r, t))
  FROM unnest(ARRAY['messages', 'message_traces', 'thread_refs']) t,
       unnest(ARRAY['woes_analyst', 'bi', 'rando']) r
 ORDER BY t, r;
SELECT is(has_table_privilege('public', format('woes.%I', t), 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE'), false,
          format('PUBLIC has no privilege on woes.%s', t))
  FROM unnest(ARRAY['messages', 'message_traces', 'thread_refs']) t ORDER BY t;
SELECT is(has_table_privilege(r, format('woes.%I', t), 'TRUNCATE'), false,
          format('%s cannot TRUNCATE woes.%s (it ignores row security)', r, t))
  FROM unnest(ARRAY['messages', 'message_traces', 'thread_refs']) t,
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY t, r;

-- Views: security_invoker (a default view would run as its owner, past the
-- caller's policies), documented
SELECT has_view('woes', v, format('view woes.%s exists', v))
  FROM unnest(ARRAY['customer_conversations', 'customer_messages', 'agent_messages', 'operator_messages', 'inbox']) v
 ORDER BY v;
SELECT ok(coalesce(c.reloptions @> ARRAY['security_invoker=true'], false), format('woes.%s is security_invoker', c.relname))
  FROM pg_class c
 WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'v'
   AND c.relname IN ('customer_conversations', 'customer_messages', 'agent_messages', 'operator_messages', 'inbox')
 ORDER BY c.relname;
-- ... and deliberately not security_barrier: row-level security is the
-- boundary (its quals run before any caller qual) and a barrier would keep
-- "last 50 messages" from an ordered index scan;
-- 40_messages_visibility_attacks shows leaky functions learn nothing
-- through them
SELECT ok(NOT coalesce(c.reloptions @> ARRAY['security_barrier=true'], false), format('woes.%s is not security_barrier', c.relname))
  FROM pg_class c
 WHERE c.oid IN ('woes.customer_conversations'::regclass, 'woes.customer_messages'::regclass,
                 'woes.agent_messages'::regclass)
 ORDER BY c.relname;
SELECT ok(coalesce(obj_description(c.oid, 'pg_class'), '') <> '', format('woes.%s has a comment', c.relname))
  FROM pg_class c
 WHERE c.oid IN ('woes.customer_conversations'::regclass, 'woes.customer_messages'::regclass,
                 'woes.agent_messages'::regclass, 'woes.operator_messages'::regclass, 'woes.inbox'::regclass)
 ORDER BY c.relname;
SELECT table_privs_are('woes', v, r, ARRAY['SELECT'], format('%s may select from woes.%s', r, v))
  FROM unnest(ARRAY['customer_conversations', 'customer_messages', 'agent_messages', 'operator_messages', 'inbox']) v,
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY v, r;
SELECT table_privs_are('woes', v, r, ARRAY[]::text[], format('%s has no privilege on woes.%s', r, v))
  FROM unnest(ARRAY['customer_conversations', 'customer_messages', 'agent_messages', 'operator_messages', 'inbox']) v,
       unnest(ARRAY['woes_analyst', 'rando']) r
 ORDER BY v, r;
-- the customer views show no trace and no grounding; the customer's status
-- is text in the customer's words
SELECT hasnt_column('woes', 'customer_messages', c, format('customer_messages has no %s column', c))
  FROM unnest(ARRAY['trace', 'grounding', 'visibility', 'author_id']) c ORDER BY c;
SELECT col_type_is('woes', 'customer_conversations', 'status', 'text', 'customer_conversations.status is text');

-- The writing functions: woes_service and woes_admin, never PUBLIC
SELECT function_privs_are('woes', f, a, r, ARRAY['EXECUTE'], format('%s may execute woes.%s', r, f))
  FROM (VALUES ('receive_message', ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'timestamp with time zone', 'uuid']),
               ('start_conversation', ARRAY['uuid', 'text', 'text', 'text']),
               ('reply', ARRAY['uuid', 'text', 'woes.visibility', 'jsonb', 'jsonb']),
               ('add_note', ARRAY['uuid', 'text']),
               ('redact_message', ARRAY['uuid', 'text']),
               ('erase_contact', ARRAY['uuid'])) AS fn(f, a),
       unnest(ARRAY['woes_service', 'woes_admin']) r
 ORDER BY f, r;
SELECT function_privs_are('woes', f, a, r, ARRAY[]::text[], format('%s may not execute woes.%s', r, f))
  FROM (VALUES ('receive_message', ARRAY['text', 'text', 'text', 'text', 'text', 'text', 'timestamp with time zone', 'uuid']),
               ('start_conversation', ARRAY['uuid', 'text', 'text', 'text']),
               ('reply', ARRAY['uuid', 'text', 'woes.visibility', 'jsonb', 'jsonb']),
               ('add_note', ARRAY['uuid', 'text']),
               ('redact_message', ARRAY['uuid', 'text']),
               ('erase_contact', ARRAY['uuid'])) AS fn(f, a),
       unnest(ARRAY['woes_analyst', 'rando']) r
 ORDER BY f, r;
SELECT is(has_function_privilege('public', p, 'EXECUTE'), false, format('PUBLIC may not execute %s', p))
  FROM unnest(ARRAY['woes.receive_message(text, text, text, text, text, text, timestamptz, uuid)',
                    'woes.start_conversation(uuid, text, text, text)',
                    'woes.reply(uuid, text, woes.visibility, jsonb, jsonb)',
                    'woes.add_note(uuid, text)',
                    'woes.redact_message(uuid, text)',
                    'woes.erase_contact(uuid)',
                    'woes.thread_keys(text, text)',
                    'woes.require_text(text, text, integer)']::regprocedure[]) p
 ORDER BY p::text;
-- they run as the caller (RLS applies to all they touch), with a safe search_path
SELECT is(prosecdef, false, format('%s is SECURITY INVOKER', oid::regprocedure))
  FROM pg_proc
 WHERE oid IN ('woes.receive_message(text, text, text, text, text, text, timestamptz, uuid)'::regprocedure,
               'woes.start_conversation(uuid, text, text, text)'::regprocedure,
               'woes.reply(uuid, text, woes.visibility, jsonb, jsonb)'::regprocedure,
               'woes.add_note(uuid, text)'::regprocedure,
               'woes.redact_message(uuid, text)'::regprocedure,
               'woes.erase_contact(uuid)'::regprocedure)
 ORDER BY oid::regprocedure::text;
-- receive_message is C: every name and operator in its statements is
-- schema-qualified (intake.c), so the caller's search_path does not matter
SELECT is((SELECT l.lanname::text FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
            WHERE p.oid = 'woes.receive_message(text, text, text, text, text, text, timestamptz, uuid)'::regprocedure),
          'c', 'receive_message is C');
SELECT ok(proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], format('%s pins its search_path', oid::regprocedure))
  FROM pg_proc
 WHERE oid IN ('woes.start_conversation(uuid, text, text, text)'::regprocedure,
               'woes.reply(uuid, text, woes.visibility, jsonb, jsonb)'::regprocedure,
               'woes.add_note(uuid, text)'::regprocedure,
               'woes.redact_message(uuid, text)'::regprocedure,
               'woes.erase_contact(uuid)'::regprocedure,
               'woes.email_thread_keys(text)'::regprocedure,
               'woes.thread_keys(text, text)'::regprocedure)
 ORDER BY oid::regprocedure::text;

-- can_see: LEAKPROOF (it may sit in policies without keeping quals from
-- indexes), IMMUTABLE, not STRICT (NULLs mean "no"), PARALLEL SAFE, and
-- harmless for anyone to call
SELECT has_function('woes', 'can_see', ARRAY['woes.audience', 'woes.visibility', 'boolean']);
SELECT volatility_is('woes', 'can_see', ARRAY['woes.audience', 'woes.visibility', 'boolean'], 'immutable',
    'can_see is IMMUTABLE');
SELECT isnt_strict('woes', 'can_see', ARRAY['woes.audience', 'woes.visibility', 'boolean'],
    'can_see is not STRICT');
SELECT ok(proleakproof, 'can_see is LEAKPROOF')
  FROM pg_proc WHERE oid = 'woes.can_see(woes.audience, woes.visibility, boolean)'::regprocedure;
SELECT is(proparallel, 's', 'can_see is PARALLEL SAFE')
  FROM pg_proc WHERE oid = 'woes.can_see(woes.audience, woes.visibility, boolean)'::regprocedure;
SELECT is(has_function_privilege('public', 'woes.can_see(woes.audience, woes.visibility, boolean)', 'EXECUTE'), true,
    'PUBLIC may execute can_see');
SELECT is(woes.can_see(NULL, 'public', true), false, 'can_see(NULL audience) is false, not NULL');
SELECT is(woes.can_see('customer', 'internal', true), false, 'a customer never sees a note, even its "own"');
SELECT is(woes.can_see('agent', 'debug', false), false, 'an agent sees no debug but its own');
SELECT is(woes.can_see('analyst', 'public', true), false, 'an analyst sees no body');

SELECT * FROM finish();
ROLLBACK;

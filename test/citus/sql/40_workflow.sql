-- The support workflow through the coordinator, as an application runs it:
-- intake (new thread, same thread, redelivery), replies and notes, status
-- changes with their reasons, a raw status UPDATE, snooze and wake, the
-- handoff (in the transaction of an intake: one user on the placements),
-- the views of every audience.  The C API functions run whole on the
-- tenant's worker (woes_forward_call, declared by woes.distribute()); the
-- rows their direct paths write land in the shards, where Citus reads them.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset

-- every C API function with a workspace argument is a distributed
-- function, colocated with the tables, force-delegated
SELECT p.proname, o.distribution_argument_index AS arg, o.force_delegation,
       o.colocationid = (SELECT colocationid FROM pg_dist_partition
                          WHERE logicalrelid = 'woes.conversations'::regclass) AS colocated
  FROM pg_dist_object o JOIN pg_proc p ON p.oid = o.objid
 WHERE o.classid = 'pg_proc'::regclass AND p.pronamespace = 'woes'::regnamespace
   AND o.distribution_argument_index IS NOT NULL
 ORDER BY 1;

SET ROLE app;
-- intake through set_context: a new thread, the same thread, a redelivery
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'hello', 'm-1', 'Vera') AS m1 \gset
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'still there?', 'm-2') IS NOT NULL AS second;
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'hello', 'm-1') = :'m1' AS redelivery_same_id;
COMMIT;
-- through plain SET LOCAL, naming the workspace (Citus sends the call
-- straight to the worker); another workspace named is refused
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'gus';
SELECT woes.receive_message('email', '<g1@mail.test>', 'gina@globex.test', 'invoice?', '<g1@mail.test>',
                            workspace => :'globex') IS NOT NULL AS received;
SAVEPOINT s;
SELECT woes.receive_message('email', '<g2@mail.test>', 'gina@globex.test', 'x', '<g2@mail.test>',
                            workspace => :'acme');
ROLLBACK TO s;
-- an email reply threads into the same conversation by its references
SELECT woes.receive_message('email', '<g1@mail.test>', 'gina@globex.test', 're: invoice?', '<g3@mail.test>') IS NOT NULL AS reply_received;
COMMIT;

-- what landed where: through Citus, which reads the shards only
RESET ROLE;
SELECT w.slug, c.number, c.channel, count(m.*) AS messages
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id
  JOIN woes.messages m ON m.workspace_id = c.workspace_id AND m.conversation_id = c.id
 WHERE c.channel IN ('live_chat', 'email')
 GROUP BY 1, 2, 3 ORDER BY 1, 2;
SELECT w.slug, e.kind, count(*)
  FROM woes.events e JOIN woes.workspaces w ON w.id = e.workspace_id
 WHERE e.kind LIKE 'message.%' OR e.conversation_id IN (SELECT id FROM woes.conversations WHERE channel IN ('live_chat', 'email'))
 GROUP BY 1, 2 ORDER BY 1, 2;
-- and nothing new in the shells (a row written there would be a row Citus
-- never reads): on every node their files hold only the early workspace's
-- rows, which 10_distribute copied into the shards and Citus left on disk
-- (tables it had no rows in, handoff_events, message_traces and the rest,
-- stay empty)
SELECT result AS shell_bytes FROM run_command_on_all_nodes(
    $$SELECT coalesce(string_agg(c.relname || ' ' || pg_catalog.pg_relation_size(c.oid), ', ' ORDER BY c.relname), 'none')
        FROM pg_class c
       WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r'
         AND c.relname NOT IN ('channels', 'workspaces') AND c.relname !~ '_[0-9]+$'
         AND pg_catalog.pg_relation_size(c.oid) > 0$$)
 GROUP BY 1;
SELECT id AS chat FROM woes.conversations WHERE channel = 'live_chat' AND workspace_id = :'acme' \gset
SET ROLE app;
-- replies, notes, status changes with reasons, snooze and wake
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.reply(:'chat', 'Hi Vera, looking into it') IS NOT NULL AS replied;
SELECT woes.add_note(:'chat', 'customer on the old plan') IS NOT NULL AS noted;
SELECT woes.resolve(:'chat', 'answered');
SELECT woes.resolve(:'chat', 'again');
SELECT woes.reopen(:'chat', 'customer came back');
SELECT woes.snooze(:'chat', now() + interval '1 hour', 'waiting on billing');
COMMIT;
-- (wake_snoozed is SECURITY DEFINER, a job's call of its own: on Citus
-- its writes and a caller's cannot share a transaction's placements)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.wake_snoozed(now() + interval '2 hours') AS woken;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
-- a raw UPDATE of the status: the trigger on the shard judges and records it
UPDATE woes.conversations SET status = 'pending' WHERE id = :'chat';
\set VERBOSITY sqlstate
SAVEPOINT s;
UPDATE woes.conversations SET status = 'snoozed' WHERE id = :'chat';
ROLLBACK TO s;
\set VERBOSITY terse
COMMIT;
RESET ROLE;
SELECT from_status, to_status, reason, actor_kind
  FROM woes.status_events WHERE conversation_id = :'chat' ORDER BY id;

-- the handoff in the transaction of an intake: the customer's message and
-- the request, take-over and release as one user on the tenant's worker
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.add_agent('chat-bot', ARRAY['live_chat']) AS bot \gset
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'chat-2', 'visitor-2', 'I need a person', 'm-10') IS NOT NULL AS received;
SELECT id AS chat2, control FROM woes.conversations WHERE thread_ref = 'chat-2' \gset
\echo :control
SELECT woes.request_handoff(:'chat2', 'asked for a person');
SELECT woes.take_over(:'chat2');
SELECT woes.release_to_automation(:'chat2');
COMMIT;
-- a second operator cannot take a conversation another holds
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.take_over(:'chat2');
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.add_operator('Bea', 'bea@acme.test') AS bea \gset
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'bea');
SELECT woes.take_over(:'chat2');
ROLLBACK;
RESET ROLE;
SELECT kind, from_control, to_control, reason FROM woes.handoff_events WHERE conversation_id = :'chat2' ORDER BY id;

-- the views, per audience
SELECT id AS vera FROM woes.contacts WHERE name = 'Vera' \gset
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT number, status, control, contact_name, assignee_name, team_name
  FROM woes.inbox WHERE channel = 'live_chat' ORDER BY number;
SELECT author_kind, visibility, body, trace IS NULL AS no_trace
  FROM woes.operator_messages WHERE conversation_id = :'chat' ORDER BY created_at, id;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot');
SELECT author_kind, visibility, body FROM woes.agent_messages WHERE conversation_id = :'chat' ORDER BY created_at, id;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'vera');
SELECT number, status FROM woes.customer_conversations ORDER BY number;
SELECT author_kind, body FROM woes.customer_messages ORDER BY created_at, id;
COMMIT;
-- another workspace's operator sees none of it
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS acme_in_globex_inbox FROM woes.inbox WHERE contact_name = 'Vera';
SELECT count(*) AS acme_messages FROM woes.operator_messages WHERE conversation_id = :'chat';
-- and cannot change it: by a statement routed to acme's shard, or by one
-- sent to every shard
UPDATE woes.conversations SET subject = 'mine' WHERE workspace_id = :'acme';
UPDATE woes.conversations SET subject = 'mine' WHERE id = :'chat';
\set VERBOSITY sqlstate
SELECT woes.resolve(:'chat');
\set VERBOSITY terse
COMMIT;
RESET ROLE;
SELECT subject IS DISTINCT FROM 'mine' AS untouched FROM woes.conversations WHERE id = :'chat';

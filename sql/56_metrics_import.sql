-- History import: a conversation from another platform, written with its
-- original times (messages by sent_at and created_at, status changes,
-- handoffs and assignments under SET LOCAL woes.as_of), gets exactly the
-- metrics its definitions give for those times, and the histories carry
-- the same times (so the recompute check agrees).  woes.as_of is for the
-- operator and admin audiences only.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT woes.create_workspace('metrics-import', 'Metrics, imported') AS ws \gset
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.add_operator('Ida', 'ida@import.test') AS ida \gset
SELECT woes.add_agent('importbot', '{live_chat}') AS bot \gset
COMMIT;
RESET ROLE;
SET ROLE app;
\set t0 '''2025-03-10 14:00:00+00'''

-- 14:00:00 the customer writes; 14:00:10 the bot answers; 14:00:20 the bot
-- hands off; 14:00:50 Ida takes over; 14:01:20 Ida answers; 14:01:40 Ida
-- is assigned; 14:03:20 resolved
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'imp-1', 'imp-visitor', 'my order is late', 'imp-m1', 'Ivo', :t0) AS m1 \gset
SELECT conversation_id AS c FROM woes.messages WHERE workspace_id = :'ws' AND id = :'m1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c', 'agent', :'bot', 'Let me check.', :t0::timestamptz + interval '10 seconds');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'ida');
SET LOCAL woes.as_of = '2025-03-10 14:00:20+00';
SELECT woes.request_handoff(:'c', 'imported');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'ida');
SET LOCAL woes.as_of = '2025-03-10 14:00:50+00';
SELECT woes.take_over(:'c');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c', 'operator', :'ida', 'It ships today.', :t0::timestamptz + interval '80 seconds');
SET LOCAL woes.as_of = '2025-03-10 14:01:40+00';
SELECT woes.assign(:'c', :'ida');
SET LOCAL woes.as_of = '2025-03-10 14:03:20+00';
SELECT woes.resolve(:'c', 'imported');
COMMIT;

BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT first_response_seconds, first_human_response_seconds, handoff_wait_seconds, resolution_seconds,
       first_assigned_at = :t0::timestamptz + interval '100 seconds' AS assigned_then,
       resolved_by_automation, reopen_count, assignment_count
  FROM woes_bi.conversation_metrics WHERE workspace_id = :'ws';
SELECT seconds FROM woes_bi.response_times WHERE workspace_id = :'ws';
-- the histories carry the original times
SELECT to_status, created_at - :t0::timestamptz AS at FROM woes.status_events
 WHERE workspace_id = :'ws' ORDER BY id;
SELECT kind, created_at - :t0::timestamptz AS at FROM woes.handoff_events WHERE workspace_id = :'ws' ORDER BY id;
SELECT created_at - :t0::timestamptz AS assigned_at FROM woes.assignments WHERE workspace_id = :'ws';
SELECT count(*) AS differences FROM woes.verify_metrics();
COMMIT;

-- not in the agent or customer audience; a bad time is a clear error
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SET LOCAL woes.as_of = '2025-03-10 15:00:00+00';
SELECT try_sql(format('SELECT woes.reopen(%L)', :'c')) AS agent_as_of;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'ida');
SET LOCAL woes.as_of = 'yesterday-ish';
SELECT try_sql(format('SELECT woes.reopen(%L)', :'c')) AS bad_time;
COMMIT;
RESET ROLE;

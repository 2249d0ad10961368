-- Metrics kept in the same write as the change: first response and first
-- human response (bot time is not operator time), reply times, resolution,
-- reopens, assignments, handoff wait, resolved by automation; the recompute
-- check; the BI schema as a bound analyst reads it.  Message times are
-- controlled (sent_at, created_at); status changes happen at the
-- transaction's time, so those are checked against their history rows.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT current_user AS superuser \gset
SELECT woes.create_workspace('metrics', 'Metrics') AS ws \gset
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'metrics_bi') THEN
        CREATE ROLE metrics_bi LOGIN IN ROLE woes_analyst;
    END IF;
END;
$$;
\getenv pgpassword PGPASSWORD
\if :{?pgpassword}
ALTER ROLE metrics_bi PASSWORD :'pgpassword';
\endif
\set t0 '''2026-01-05 09:00:00+00'''
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.add_operator('Olga', 'olga@metrics.test') AS olga \gset
SELECT woes.add_operator('Omar', 'omar@metrics.test') AS omar \gset
-- the agent answers live chat; email goes to people straight away
SELECT woes.add_agent('helper', '{live_chat}') AS bot \gset
COMMIT;
RESET ROLE;
SET ROLE app;

-- A: the bot answers alone and resolves: a first response in 45 s, no
-- human response, resolved by automation
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'met-a', 'visitor-a', 'how do I export?', 'met-a1', 'Ada', :t0) AS a1 \gset
SELECT conversation_id AS a FROM woes.messages WHERE workspace_id = :'ws' AND id = :'a1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'a', 'agent', :'bot', 'Settings, then Export.', :t0::timestamptz + interval '45 seconds');
SELECT woes.resolve(:'a', 'answered');
COMMIT;

-- B: the bot answers, then hands off; the person answers 120 s after the
-- handoff request: the human clock starts there, not at the first message
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'met-b', 'visitor-b', 'my invoice is wrong', 'met-b1', 'Bo', :t0) AS b1 \gset
SELECT conversation_id AS b FROM woes.messages WHERE workspace_id = :'ws' AND id = :'b1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'b', 'agent', :'bot', 'Let me get someone.', :t0::timestamptz + interval '10 seconds');
SELECT woes.request_handoff(:'b', 'billing');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.take_over(:'b');
COMMIT;
-- (the times of the history rows: on Citus the worker's transaction time)
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT created_at AS b_requested FROM woes.handoff_events
 WHERE workspace_id = :'ws' AND conversation_id = :'b' AND kind = 'requested' \gset
SELECT created_at AS b_taken FROM woes.handoff_events
 WHERE workspace_id = :'ws' AND conversation_id = :'b' AND kind = 'taken_over' \gset
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'b', 'operator', :'olga', 'Fixed it.', :'b_requested'::timestamptz + interval '120 seconds');
COMMIT;

-- C: email, people only: reply times per reply, assignments, resolve,
-- a reopen by the customer, resolve again
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', '<c1@mail.test>', 'cy@example.com', 'refund please', '<c1@mail.test>', 'Cy', :t0) AS c1 \gset
SELECT conversation_id AS c FROM woes.messages WHERE workspace_id = :'ws' AND id = :'c1' \gset
SELECT woes.receive_message('email', '<c1@mail.test>', 'cy@example.com', 'hello?', '<c2@mail.test>', NULL,
                            :t0::timestamptz + interval '30 seconds') IS NOT NULL AS c2;
SELECT woes.assign(:'c', :'olga') AS assigned_olga;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c', 'operator', :'olga', 'On it.', :t0::timestamptz + interval '100 seconds') RETURNING id AS r1 \gset
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c', 'operator', :'olga', 'Refunded.', :t0::timestamptz + interval '200 seconds') RETURNING id AS r2 \gset
-- a note is no reply
SELECT woes.add_note(:'c', 'refund id 77') IS NOT NULL AS noted;
SELECT woes.assign(:'c', :'omar') AS assigned_omar;
SELECT woes.resolve(:'c');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', '<c1@mail.test>', 'cy@example.com', 'not arrived', '<c3@mail.test>', NULL,
                            :t0::timestamptz + interval '300 seconds') IS NOT NULL AS c3;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'omar');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c', 'operator', :'omar', 'Sent again.', :t0::timestamptz + interval '360 seconds') RETURNING id AS r3 \gset
SELECT woes.resolve(:'c');
COMMIT;

-- D: the bot resolves, the customer reopens, a person answers (an implicit
-- takeover) and resolves: not resolved by automation in the end
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'met-d', 'visitor-d', 'password reset?', 'met-d1', 'Di', :t0) AS d1 \gset
SELECT conversation_id AS d FROM woes.messages WHERE workspace_id = :'ws' AND id = :'d1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'d', 'agent', :'bot', 'Use the reset link.', :t0::timestamptz + interval '5 seconds');
SELECT woes.resolve(:'d');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'met-d', 'visitor-d', 'the link is broken', 'met-d2', NULL,
                            :t0::timestamptz + interval '50 seconds') IS NOT NULL AS d2;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'omar');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'d', 'operator', :'omar', 'Here is a new one.', :t0::timestamptz + interval '80 seconds');
SELECT woes.resolve(:'d');
COMMIT;

-- what was kept
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT CASE conversation_id WHEN :'a' THEN 'A' WHEN :'b' THEN 'B' WHEN :'c' THEN 'C' WHEN :'d' THEN 'D' END AS conv,
       status, first_response_seconds, first_human_response_seconds, reopen_count, assignment_count,
       first_assigned_at IS NOT NULL AS assigned, handoff_requested_at IS NOT NULL AS handed_off,
       handoff_wait_seconds >= 0 AS waited, resolved_by_automation,
       first_resolved_at <= last_resolved_at AS resolution_order, resolution_seconds > 0 AS resolution
  FROM woes_bi.conversation_metrics WHERE workspace_id = :'ws' ORDER BY 1;
-- B's human clock is the handoff request, its takeover the handoff's end
SELECT human_clock_from = :'b_requested' AS clock_at_request, handoff_requested_at = :'b_requested' AS requested,
       handoff_taken_at = :'b_taken' AS taken
  FROM woes_bi.conversation_metrics WHERE workspace_id = :'ws' AND conversation_id = :'b';
-- C's resolutions are its history's
SELECT m.first_resolved_at = min(s.created_at) AND m.last_resolved_at = max(s.created_at) AS as_history
  FROM woes_bi.conversation_metrics m
  JOIN woes.status_events s ON s.workspace_id = m.workspace_id AND s.conversation_id = m.conversation_id
 WHERE m.workspace_id = :'ws' AND m.conversation_id = :'c' AND s.to_status::text = 'resolved'
 GROUP BY m.first_resolved_at, m.last_resolved_at;
-- reply times: the wait each operator reply ended
SELECT CASE message_id WHEN :'r1' THEN 'r1' WHEN :'r2' THEN 'r2' WHEN :'r3' THEN 'r3' ELSE 'other' END AS reply,
       CASE conversation_id WHEN :'b' THEN 'B' WHEN :'c' THEN 'C' WHEN :'d' THEN 'D' END AS conv,
       operator_id = :'olga' AS by_olga, channel,
       CASE WHEN conversation_id = :'b' THEN (seconds > 0)::text ELSE seconds::text END AS seconds
  FROM woes_bi.response_times WHERE workspace_id = :'ws' ORDER BY conv, replied_at;
-- the recompute check finds nothing to say
SELECT count(*) AS differences FROM woes.verify_metrics();
COMMIT;

-- nobody but the triggers writes a metric: a raw UPDATE or INSERT of one
-- keeps what was kept
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
UPDATE woes.conversations SET reopen_count = 42, first_response_at = '2000-01-01', first_customer_message_at = NULL,
       last_resolved_at = NULL
 WHERE workspace_id = :'ws' AND id = :'c';
SELECT reopen_count, first_response_at IS NOT NULL AS response_kept, first_customer_message_at IS NOT NULL AS first_kept,
       last_resolved_at IS NOT NULL AS resolved_kept
  FROM woes.conversations WHERE workspace_id = :'ws' AND id = :'c';
INSERT INTO woes.conversations (channel, contact_id, reopen_count, first_resolved_at, first_response_at)
SELECT 'api', contact_id, 9, now(), now() FROM woes.conversations WHERE workspace_id = :'ws' AND id = :'c'
RETURNING reopen_count, first_resolved_at IS NULL AS no_resolution, first_response_at IS NULL AS no_response;
ROLLBACK;

-- the check reports a kept value that history does not support: C's
-- reopen taken out of its history (as the superuser, rolled back)
RESET ROLE;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
DELETE FROM woes.status_events
 WHERE workspace_id = :'ws' AND conversation_id = :'c' AND from_status::text = 'resolved' AND to_status::text = 'open';
SELECT number > 0 AS numbered, metric, kept, recomputed FROM woes.verify_metrics();
ROLLBACK;
SET ROLE app;

-- who may: operators and admins verify; agents and customers may not
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT try_sql('SELECT woes.verify_metrics()') AS agent_verifies;
COMMIT;
RESET ROLE;

-- the BI schema as a BI tool sees it, through a role bound to the workspace
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.bind_role('metrics_bi', :'ws', 'analyst');
COMMIT;
RESET ROLE;
\c - metrics_bi
-- standard types only: no woes type, no array, in any view
SELECT count(*) AS odd_columns FROM information_schema.columns
 WHERE table_schema = 'woes_bi' AND (data_type IN ('USER-DEFINED', 'ARRAY') OR udt_schema = 'woes');
-- every view readable in full, SELECT *
SELECT table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM (SELECT * FROM woes_bi.%I) x', table_name), false, true, '')))[1]::text::int >= 0 AS readable
  FROM information_schema.tables WHERE table_schema = 'woes_bi' ORDER BY 1;
-- its workspace, one row
SELECT slug, name FROM woes_bi.workspace;
-- a BI filter with a string parameter works on every label
PREPARE by_status(varchar) AS SELECT count(*) FROM woes_bi.conversation_metrics WHERE status = $1;
EXECUTE by_status('resolved');
PREPARE by_channel(varchar) AS SELECT count(*) FROM woes_bi.response_times WHERE channel = $1;
EXECUTE by_channel('email');
SELECT conversations_seen, other_workspaces FROM
  (SELECT count(*) AS conversations_seen, count(*) FILTER (WHERE workspace_id <> :'ws') AS other_workspaces
     FROM woes_bi.conversation_metrics) x;
SELECT day IS NOT NULL AS dated, operator_id IS NOT NULL AS by_operator, sum(assigned) AS assigned, sum(resolved) AS resolved,
       sum(reopened) AS reopened, sum(handed_off) AS handed_off
  FROM woes_bi.routing_stats GROUP BY 1, 2 ORDER BY 1, 2;
SELECT reply_median_seconds, reply_p90_seconds FROM woes_bi.routing_stats
 WHERE operator_id IS NOT NULL AND reply_median_seconds < 1000 ORDER BY reply_median_seconds;
-- no text a customer or operator wrote, no contact name or email, anywhere
SELECT count(*) AS forbidden_columns FROM information_schema.columns
 WHERE table_schema = 'woes_bi' AND column_name IN ('body', 'subject', 'note', 'trace', 'email', 'reason', 'contact_name', 'thread_ref');
-- every view and column is described
SELECT count(*) AS undescribed FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'woes_bi'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
   AND col_description(c.oid, a.attnum) IS NULL;
SELECT count(*) AS undescribed_views FROM information_schema.tables t
 WHERE t.table_schema = 'woes_bi' AND obj_description(format('woes_bi.%I', t.table_name)::regclass, 'pg_class') IS NULL;
\c - :superuser
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.unbind_role('metrics_bi') AS unbound;
COMMIT;
RESET ROLE;
DROP ROLE metrics_bi;

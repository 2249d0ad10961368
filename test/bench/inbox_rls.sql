-- A 50-row inbox page (open conversations, newest activity first) under the
-- context, with row-level security (role without BYPASSRLS, member of
-- woes_service).  Workspaces from bench.inbox_ws (>= 50 open conversations).
-- Pair: inbox_base.sql.  -D ninbox=<rows of bench.inbox_ws>
\set n random(1, :ninbox)
BEGIN;
SELECT woes.set_context(workspace_id, 'operator') FROM bench.inbox_ws WHERE n = :n;
SELECT id, number, channel, status, control, contact_id, assignee_id, team_id, subject, last_message_at, waiting_since
  FROM woes.conversations
 WHERE status = 'open'
 ORDER BY last_message_at DESC NULLS LAST, id DESC
 LIMIT 50;
COMMIT;

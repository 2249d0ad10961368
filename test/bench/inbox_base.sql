-- Baseline of inbox_rls.sql: the same transaction run by a role that
-- bypasses row-level security (BYPASSRLS, member of woes_service), with the
-- workspace filter written out.  The filter's value is the context's
-- workspace: pgbench cannot carry a uuid variable that works in both simple
-- and prepared mode, and a subselect for it would add work to the baseline
-- only.  The only difference is RLS.
\set n random(1, :ninbox)
BEGIN;
SELECT woes.set_context(workspace_id, 'operator') FROM bench.inbox_ws WHERE n = :n;
SELECT id, number, channel, status, control, contact_id, assignee_id, team_id, subject, last_message_at, waiting_since
  FROM woes.conversations
 WHERE workspace_id = woes.current_workspace() AND status = 'open'
 ORDER BY last_message_at DESC NULLS LAST, id DESC
 LIMIT 50;
COMMIT;

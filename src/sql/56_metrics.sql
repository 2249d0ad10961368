--------------------------------------------------------------------------
-- Metrics: the metric columns of woes.conversations (30_lifecycle.sql),
-- kept in the same write as the change that moves them (src/metrics.c and
-- the message trigger's update, src/messages.c); one woes.reply_times row
-- per public operator reply; woes.verify_metrics(), which recomputes every
-- metric of the workspace from the histories and reports each difference.
-- The definitions are in the README ("Metrics"); the BI schema
-- (57_bi.sql) publishes them.
--------------------------------------------------------------------------

COMMENT ON COLUMN @extschema@.conversations.first_customer_message_at IS
    'Metric: the first public customer message';
COMMENT ON COLUMN @extschema@.conversations.first_response_at IS
    'Metric: the first public agent or operator reply after the first customer message';
COMMENT ON COLUMN @extschema@.conversations.human_clock_from IS
    'Metric: when a person''s clock starts: the first customer message, or for a conversation automation handled first the first handoff out of automation';
COMMENT ON COLUMN @extschema@.conversations.first_human_response_at IS
    'Metric: the first public operator reply after the first customer message';
COMMENT ON COLUMN @extschema@.conversations.first_operator_message_at IS
    'Metric: the first public operator message at all';
COMMENT ON COLUMN @extschema@.conversations.first_resolved_at IS
    'Metric: the first change to resolved';
COMMENT ON COLUMN @extschema@.conversations.last_resolved_at IS
    'Metric: the latest change to resolved';
COMMENT ON COLUMN @extschema@.conversations.reopen_count IS
    'Metric: changes from resolved back to open';
COMMENT ON COLUMN @extschema@.conversations.assignment_count IS
    'Metric: changes to a new (non-NULL) assignee';
COMMENT ON COLUMN @extschema@.conversations.first_assigned_at IS
    'Metric: the first assignment';
COMMENT ON COLUMN @extschema@.conversations.handoff_requested_at IS
    'Metric: the first handoff out of automation (a request, or a takeover without one)';
COMMENT ON COLUMN @extschema@.conversations.handoff_taken_at IS
    'Metric: the first takeover by an operator after that handoff';

CREATE TABLE @extschema@.reply_times (
    workspace_id    uuid NOT NULL,
    -- the reply (no foreign key: the row is written by the message's own
    -- BEFORE trigger, as the outbox's are)
    message_id      uuid NOT NULL,
    conversation_id uuid NOT NULL,
    operator_id     uuid,
    team_id         uuid,
    channel         text NOT NULL,
    -- the oldest customer message the reply answered (NULL: nobody waited)
    waiting_since   timestamptz,
    replied_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
-- a period's replies (routing_stats)
CREATE INDEX reply_times_replied_idx ON @extschema@.reply_times (workspace_id, replied_at);
CREATE INDEX reply_times_conversation_idx ON @extschema@.reply_times (workspace_id, conversation_id);
COMMENT ON TABLE @extschema@.reply_times IS
    'One row per public operator reply: the waiting time it ended (from waiting_since to replied_at); written only by the message trigger';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.reply_times
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'message_id', 'operator_id', 'team_id',
                                                          'channel', 'waiting_since', 'replied_at');
CREATE POLICY reply_times_read ON @extschema@.reply_times FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY reply_times_read ON @extschema@.reply_times IS
    'Defined by woes. Agents, operators, analysts and admins read reply times; only the message trigger writes them';

-- Every metric of the workspace's conversations, recomputed from the
-- histories (messages, status_events, assignments, handoff_events) by the
-- same definitions the triggers keep, beside the kept values (kept and
-- recomputed as text, in UTC, for verify_metrics).  Internal: verify_metrics() and the upgrade from 0.1.0 use it.
-- One statement of joins and aggregates, every table filtered by the
-- workspace (on Citus: routed whole to the workspace's worker; PL/pgSQL,
-- since Citus plans no parameter of an SQL function).
CREATE FUNCTION @extschema@.metrics_from_history(ws uuid)
    RETURNS TABLE (conversation_id uuid, number bigint, kept jsonb, recomputed jsonb,
                   first_customer_message_at timestamptz, first_response_at timestamptz,
                   human_clock_from timestamptz, first_human_response_at timestamptz,
                   first_operator_message_at timestamptz, first_resolved_at timestamptz,
                   last_resolved_at timestamptz, reopen_count integer, assignment_count integer,
                   first_assigned_at timestamptz, handoff_requested_at timestamptz, handoff_taken_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH msg AS (
    SELECT m.conversation_id,
           min(m.created_at) FILTER (WHERE m.author_kind = 'customer') AS first_customer,
           min(m.created_at) FILTER (WHERE m.author_kind = 'operator') AS first_operator
      FROM @extschema@.messages m
     WHERE m.workspace_id = $1 AND m.visibility OPERATOR(@extschema@.=) 'public'
     GROUP BY m.conversation_id
), resp AS (
    SELECT m.conversation_id,
           min(m.created_at) FILTER (WHERE m.author_kind IN ('agent', 'operator')) AS first_response,
           min(m.created_at) FILTER (WHERE m.author_kind = 'operator') AS first_human
      FROM @extschema@.messages m
      JOIN msg ON msg.conversation_id = m.conversation_id
     WHERE m.workspace_id = $1 AND m.visibility OPERATOR(@extschema@.=) 'public'
       AND m.created_at >= msg.first_customer
     GROUP BY m.conversation_id
), st AS (
    SELECT s.conversation_id,
           min(s.created_at) FILTER (WHERE s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved') AS first_resolved,
           max(s.created_at) FILTER (WHERE s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved') AS last_resolved,
           count(*) FILTER (WHERE s.from_status::text = 'resolved' AND s.to_status::text = 'open')::integer AS reopens
      FROM @extschema@.status_events s
     WHERE s.workspace_id = $1
     GROUP BY s.conversation_id
), asg AS (
    SELECT a.conversation_id, count(*)::integer AS assignments, min(a.created_at) AS first_assigned
      FROM @extschema@.assignments a
     WHERE a.workspace_id = $1 AND a.to_assignee_id IS NOT NULL
       AND a.to_assignee_id IS DISTINCT FROM a.from_assignee_id
     GROUP BY a.conversation_id
), hof AS (
    SELECT h.conversation_id,
           min(h.created_at) FILTER (WHERE h.from_control::text = 'automation' AND h.to_control::text <> 'automation') AS requested
      FROM @extschema@.handoff_events h
     WHERE h.workspace_id = $1
     GROUP BY h.conversation_id
), taken AS (
    SELECT h.conversation_id, min(h.created_at) AS taken
      FROM @extschema@.handoff_events h
      JOIN hof ON hof.conversation_id = h.conversation_id
     WHERE h.workspace_id = $1 AND h.to_control::text = 'operator' AND h.from_control::text <> 'operator'
       AND h.created_at >= hof.requested
     GROUP BY h.conversation_id
), before_first AS (
    -- the control when the first customer message came: the last handoff
    -- before it ...
    SELECT DISTINCT ON (h.conversation_id) h.conversation_id, h.to_control::text AS control
      FROM @extschema@.handoff_events h
      JOIN msg ON msg.conversation_id = h.conversation_id
     WHERE h.workspace_id = $1 AND h.created_at <= msg.first_customer
     ORDER BY h.conversation_id, h.created_at DESC, h.id DESC
), first_handoff AS (
    -- ... else where the first handoff started, else the control today
    SELECT DISTINCT ON (h.conversation_id) h.conversation_id, h.from_control::text AS control
      FROM @extschema@.handoff_events h
     WHERE h.workspace_id = $1
     ORDER BY h.conversation_id, h.created_at, h.id
)
SELECT x.id, x.number,
       -- both as text in UTC, whatever the session's DateStyle and TimeZone
       -- (on Citus the worker's session formats them)
       jsonb_build_object(
           'first_customer_message_at', to_char(x.k_first_customer_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_response_at', to_char(x.k_first_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'human_clock_from', to_char(x.k_human_clock_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_human_response_at', to_char(x.k_first_human_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_operator_message_at', to_char(x.k_first_operator_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_resolved_at', to_char(x.k_first_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'last_resolved_at', to_char(x.k_last_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'reopen_count', x.k_reopen_count::text,
           'assignment_count', x.k_assignment_count::text,
           'first_assigned_at', to_char(x.k_first_assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_requested_at', to_char(x.k_handoff_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_taken_at', to_char(x.k_handoff_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')),
       jsonb_build_object(
           'first_customer_message_at', to_char(x.first_customer_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_response_at', to_char(x.first_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'human_clock_from', to_char(x.human_clock_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_human_response_at', to_char(x.first_human_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_operator_message_at', to_char(x.first_operator_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_resolved_at', to_char(x.first_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'last_resolved_at', to_char(x.last_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'reopen_count', x.reopen_count::text,
           'assignment_count', x.assignment_count::text,
           'first_assigned_at', to_char(x.first_assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_requested_at', to_char(x.handoff_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_taken_at', to_char(x.handoff_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')),
       x.first_customer_message_at, x.first_response_at, x.human_clock_from, x.first_human_response_at,
       x.first_operator_message_at, x.first_resolved_at, x.last_resolved_at, x.reopen_count, x.assignment_count,
       x.first_assigned_at, x.handoff_requested_at, x.handoff_taken_at
  FROM (
SELECT c.id, c.number,
       c.first_customer_message_at AS k_first_customer_message_at, c.first_response_at AS k_first_response_at,
       c.human_clock_from AS k_human_clock_from, c.first_human_response_at AS k_first_human_response_at,
       c.first_operator_message_at AS k_first_operator_message_at, c.first_resolved_at AS k_first_resolved_at,
       c.last_resolved_at AS k_last_resolved_at, c.reopen_count AS k_reopen_count,
       c.assignment_count AS k_assignment_count, c.first_assigned_at AS k_first_assigned_at,
       c.handoff_requested_at AS k_handoff_requested_at, c.handoff_taken_at AS k_handoff_taken_at,
       msg.first_customer AS first_customer_message_at, resp.first_response AS first_response_at,
       CASE WHEN msg.first_customer IS NOT NULL
                 AND coalesce(before_first.control, first_handoff.control, c.control::text) <> 'automation'
                 AND (hof.requested IS NULL OR msg.first_customer <= hof.requested)
            THEN msg.first_customer ELSE hof.requested END AS human_clock_from,
       resp.first_human AS first_human_response_at, msg.first_operator AS first_operator_message_at,
       st.first_resolved AS first_resolved_at, st.last_resolved AS last_resolved_at,
       coalesce(st.reopens, 0) AS reopen_count, coalesce(asg.assignments, 0) AS assignment_count,
       asg.first_assigned AS first_assigned_at, hof.requested AS handoff_requested_at, taken.taken AS handoff_taken_at
  FROM @extschema@.conversations c
  LEFT JOIN msg ON msg.conversation_id = c.id
  LEFT JOIN resp ON resp.conversation_id = c.id
  LEFT JOIN st ON st.conversation_id = c.id
  LEFT JOIN asg ON asg.conversation_id = c.id
  LEFT JOIN hof ON hof.conversation_id = c.id
  LEFT JOIN taken ON taken.conversation_id = c.id
  LEFT JOIN before_first ON before_first.conversation_id = c.id
  LEFT JOIN first_handoff ON first_handoff.conversation_id = c.id
 WHERE c.workspace_id = $1
  ) x;
END;
$$;
COMMENT ON FUNCTION @extschema@.metrics_from_history(uuid) IS
    'Internal: every metric of a workspace''s conversations, recomputed from the histories by the definitions the triggers keep, beside the kept values (kept and recomputed as text, in UTC)';

CREATE FUNCTION @extschema@.verify_metrics()
    RETURNS TABLE (conversation_id uuid, number bigint, metric text, kept text, recomputed text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'verifying metrics');
    RETURN QUERY
    SELECT r.conversation_id, r.number, k.key, k.value, r.recomputed->>k.key
      FROM @extschema@.metrics_from_history(ws) r
     CROSS JOIN LATERAL jsonb_each_text(r.kept) k
     WHERE k.value IS DISTINCT FROM r.recomputed->>k.key
     ORDER BY r.number, k.key;
END;
$$;
COMMENT ON FUNCTION @extschema@.verify_metrics() IS
    'Recompute every metric of the context''s workspace from the histories and return each difference from the kept value (none: the metrics are true)';

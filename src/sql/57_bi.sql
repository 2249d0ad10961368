--------------------------------------------------------------------------
-- The BI schema woes_bi: what BI tools (Metabase, Tableau, Power BI,
-- DBeaver) connect to.  Only views, each security_invoker (the policies of
-- the tables apply to whoever reads), each readable in full by
-- woes_analyst; standard types only (labels as text, durations as numeric
-- seconds, timestamptz, uuid; no arrays, no woes types, so a BI filter
-- "status = ?" with a string works); one key column each; a COMMENT on
-- every view and column, for analysts (BI tools show them); no subject,
-- body, note, trace, contact name or email anywhere.
--------------------------------------------------------------------------

CREATE SCHEMA woes_bi;
COMMENT ON SCHEMA woes_bi IS
    'woes for BI tools: metrics and dimensions of your workspace as plain views (see the woes README, "Connect a BI tool")';
CREATE VIEW woes_bi.workspace WITH (security_invoker = true) AS
SELECT w.id AS workspace_id, w.slug, w.name, w.created_at
  FROM @extschema@.workspaces w;
COMMENT ON VIEW woes_bi.workspace IS
    'Your workspace (the one your login is bound to), to label reports; key: workspace_id';
COMMENT ON COLUMN woes_bi.workspace.workspace_id IS 'The workspace (key)';
COMMENT ON COLUMN woes_bi.workspace.slug IS 'Its short name';
COMMENT ON COLUMN woes_bi.workspace.name IS 'Its name';
COMMENT ON COLUMN woes_bi.workspace.created_at IS 'When it was created';

CREATE VIEW woes_bi.conversation_metrics WITH (security_invoker = true) AS
SELECT c.id AS conversation_id, c.number, c.channel, c.status::text AS status, c.team_id, c.assignee_id,
       c.created_at,
       c.first_response_at,
       extract(epoch FROM c.first_response_at - c.first_customer_message_at) AS first_response_seconds,
       c.first_human_response_at,
       extract(epoch FROM c.first_human_response_at - c.human_clock_from) AS first_human_response_seconds,
       c.first_resolved_at, c.last_resolved_at,
       extract(epoch FROM c.first_resolved_at - c.created_at) AS resolution_seconds,
       c.reopen_count, c.assignment_count, c.first_assigned_at, c.handoff_requested_at,
       extract(epoch FROM c.handoff_taken_at - c.handoff_requested_at) AS handoff_wait_seconds,
       (c.last_resolved_at IS NOT NULL
        AND (c.first_operator_message_at IS NULL OR c.first_operator_message_at > c.last_resolved_at)) AS resolved_by_automation,
       c.first_customer_message_at, c.human_clock_from, c.handoff_taken_at,
       extract(epoch FROM c.last_resolved_at - c.created_at) AS full_resolution_seconds,
       c.workspace_id
  FROM @extschema@.conversations c;
COMMENT ON VIEW woes_bi.conversation_metrics IS
    'One row per conversation: its metrics (times as timestamptz, durations in seconds), labels as text; key: conversation_id. Definitions: the woes README, "Metrics"';
COMMENT ON COLUMN woes_bi.conversation_metrics.conversation_id IS 'The conversation (key)';
COMMENT ON COLUMN woes_bi.conversation_metrics.number IS 'Its ticket number in the workspace';
COMMENT ON COLUMN woes_bi.conversation_metrics.channel IS 'The channel it came in on (live_chat, email, discord, api, ...)';
COMMENT ON COLUMN woes_bi.conversation_metrics.status IS 'Its status now: open, pending, snoozed, resolved, closed';
COMMENT ON COLUMN woes_bi.conversation_metrics.team_id IS 'Its team now (teams.team_id)';
COMMENT ON COLUMN woes_bi.conversation_metrics.assignee_id IS 'Its assignee now (operators.operator_id)';
COMMENT ON COLUMN woes_bi.conversation_metrics.created_at IS 'When it was created';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_response_at IS 'The first public reply by an agent (bot) or operator after the first customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_response_seconds IS 'Seconds from the first customer message to first_response_at';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_human_response_at IS 'The first public reply by an operator (a person) after the first customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_human_response_seconds IS 'Seconds from the start of the human clock (the first customer message; for a conversation automation handled first, the handoff request) to first_human_response_at: bot time is not counted';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_resolved_at IS 'The first time it was resolved';
COMMENT ON COLUMN woes_bi.conversation_metrics.last_resolved_at IS 'The latest time it was resolved';
COMMENT ON COLUMN woes_bi.conversation_metrics.resolution_seconds IS 'Seconds from creation to the first resolution';
COMMENT ON COLUMN woes_bi.conversation_metrics.reopen_count IS 'How many times it went from resolved back to open';
COMMENT ON COLUMN woes_bi.conversation_metrics.assignment_count IS 'How many times it got a new assignee';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_assigned_at IS 'When it was first assigned';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_requested_at IS 'When automation first handed it to people (a request, or a takeover without one)';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_wait_seconds IS 'Seconds from handoff_requested_at to the first operator takeover';
COMMENT ON COLUMN woes_bi.conversation_metrics.resolved_by_automation IS 'Resolved (the latest time) before any public operator message: automation solved it';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_customer_message_at IS 'The first public customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.human_clock_from IS 'When the human clock started';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_taken_at IS 'The first operator takeover after the handoff';
COMMENT ON COLUMN woes_bi.conversation_metrics.full_resolution_seconds IS 'Seconds from creation to the latest resolution';
COMMENT ON COLUMN woes_bi.conversation_metrics.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.response_times WITH (security_invoker = true) AS
SELECT r.message_id, r.conversation_id, r.operator_id, r.team_id, r.channel, r.waiting_since, r.replied_at,
       extract(epoch FROM r.replied_at - r.waiting_since) AS seconds, r.workspace_id
  FROM @extschema@.reply_times r;
COMMENT ON VIEW woes_bi.response_times IS
    'One row per public operator reply: how long the customer had waited (from the oldest unanswered customer message); key: message_id';
COMMENT ON COLUMN woes_bi.response_times.message_id IS 'The reply (key)';
COMMENT ON COLUMN woes_bi.response_times.conversation_id IS 'Its conversation';
COMMENT ON COLUMN woes_bi.response_times.operator_id IS 'The operator who replied (operators.operator_id)';
COMMENT ON COLUMN woes_bi.response_times.team_id IS 'The conversations team when the reply was written';
COMMENT ON COLUMN woes_bi.response_times.channel IS 'The conversations channel';
COMMENT ON COLUMN woes_bi.response_times.waiting_since IS 'The oldest customer message the reply answered (empty: nobody was waiting)';
COMMENT ON COLUMN woes_bi.response_times.replied_at IS 'When the reply was written';
COMMENT ON COLUMN woes_bi.response_times.seconds IS 'Seconds the customer waited for this reply';
COMMENT ON COLUMN woes_bi.response_times.workspace_id IS 'The workspace (always yours)';

-- the UTC day of a time, as routing_stats buckets it: LEAKPROOF (it cannot
-- fail), so under row-level security a BI tool's filter on the day is
-- checked before the policies, and can be an index condition (src/bi.c)
CREATE FUNCTION @extschema@.utc_day(at timestamptz) RETURNS date
    AS 'MODULE_PATHNAME', 'woes_utc_day'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.utc_day(timestamptz) IS
    'The UTC day of a time, as (at AT TIME ZONE ''UTC'')::date, but LEAKPROOF: woes_bi.routing_stats buckets its days with it';

CREATE VIEW woes_bi.routing_stats WITH (security_invoker = true) AS
WITH facts AS (
    SELECT a.workspace_id, a.created_at AS at, a.to_team_id AS team_id, a.to_assignee_id AS operator_id,
           c.channel, 'assigned'::text AS what, NULL::numeric AS seconds
      FROM @extschema@.assignments a
      JOIN @extschema@.conversations c ON c.workspace_id = a.workspace_id AND c.id = a.conversation_id
     WHERE a.to_assignee_id IS NOT NULL AND a.to_assignee_id IS DISTINCT FROM a.from_assignee_id
    UNION ALL
    SELECT s.workspace_id, s.created_at, c.team_id, c.assignee_id, c.channel,
           CASE WHEN s.to_status::text = 'resolved' THEN 'resolved' ELSE 'reopened' END, NULL
      FROM @extschema@.status_events s
      JOIN @extschema@.conversations c ON c.workspace_id = s.workspace_id AND c.id = s.conversation_id
     WHERE (s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved')
        OR (s.from_status::text = 'resolved' AND s.to_status::text = 'open')
    UNION ALL
    SELECT h.workspace_id, h.created_at, c.team_id, c.assignee_id, c.channel, 'handed_off', NULL
      FROM @extschema@.handoff_events h
      JOIN @extschema@.conversations c ON c.workspace_id = h.workspace_id AND c.id = h.conversation_id
     WHERE h.from_control::text = 'automation' AND h.to_control::text <> 'automation'
    UNION ALL
    SELECT c.workspace_id, c.first_human_response_at, c.team_id, c.assignee_id, c.channel, 'first_human_response',
           extract(epoch FROM c.first_human_response_at - c.human_clock_from)
      FROM @extschema@.conversations c
     WHERE c.first_human_response_at IS NOT NULL
    UNION ALL
    SELECT r.workspace_id, r.replied_at, r.team_id, r.operator_id, r.channel, 'reply',
           extract(epoch FROM r.replied_at - r.waiting_since)
      FROM @extschema@.reply_times r
)
SELECT concat_ws('/', to_char(@extschema@.utc_day(f.at), 'YYYY-MM-DD'), coalesce(f.team_id::text, '-'),
                 coalesce(f.operator_id::text, '-'), f.channel) AS stat_id,
       @extschema@.utc_day(f.at) AS day, f.team_id, f.operator_id, f.channel,
       count(*) FILTER (WHERE f.what = 'assigned') AS assigned,
       count(*) FILTER (WHERE f.what = 'resolved') AS resolved,
       count(*) FILTER (WHERE f.what = 'reopened') AS reopened,
       count(*) FILTER (WHERE f.what = 'handed_off') AS handed_off,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'first_human_response'))::numeric
           AS first_human_response_median_seconds,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'first_human_response'))::numeric
           AS first_human_response_p90_seconds,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'reply'))::numeric
           AS reply_median_seconds,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'reply'))::numeric
           AS reply_p90_seconds,
       f.workspace_id
  FROM facts f
 GROUP BY f.workspace_id, @extschema@.utc_day(f.at), f.team_id, f.operator_id, f.channel;
COMMENT ON VIEW woes_bi.routing_stats IS
    'Per day (UTC), team, operator and channel: conversations assigned, resolved, reopened and handed off by automation, and the median and 90th percentile of first human response and reply time; key: stat_id. Resolutions, reopens and handoffs count under the conversation''s team and assignee now; replies under the replying operator and the team then';
COMMENT ON COLUMN woes_bi.routing_stats.stat_id IS 'Key: day (YYYY-MM-DD)/team/operator/channel';
COMMENT ON COLUMN woes_bi.routing_stats.day IS 'The day (UTC)';
COMMENT ON COLUMN woes_bi.routing_stats.team_id IS 'The team (teams.team_id; empty: none)';
COMMENT ON COLUMN woes_bi.routing_stats.operator_id IS 'The operator (operators.operator_id; empty: none)';
COMMENT ON COLUMN woes_bi.routing_stats.channel IS 'The channel';
COMMENT ON COLUMN woes_bi.routing_stats.assigned IS 'Conversations assigned to the operator that day';
COMMENT ON COLUMN woes_bi.routing_stats.resolved IS 'Conversations resolved that day';
COMMENT ON COLUMN woes_bi.routing_stats.reopened IS 'Conversations reopened (resolved back to open) that day';
COMMENT ON COLUMN woes_bi.routing_stats.handed_off IS 'Conversations automation handed to people that day';
COMMENT ON COLUMN woes_bi.routing_stats.first_human_response_median_seconds IS 'Median seconds to the first human response, of the conversations first answered by a person that day';
COMMENT ON COLUMN woes_bi.routing_stats.first_human_response_p90_seconds IS '90th percentile of the same';
COMMENT ON COLUMN woes_bi.routing_stats.reply_median_seconds IS 'Median seconds a customer waited for an operator reply written that day';
COMMENT ON COLUMN woes_bi.routing_stats.reply_p90_seconds IS '90th percentile of the same';
COMMENT ON COLUMN woes_bi.routing_stats.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.issue_impact WITH (security_invoker = true) AS
SELECT i.issue_id, i.provider, i.external_key, i.title, i.state, i.provider_state, i.url,
       i.conversations_total, i.conversations_open, i.customers, i.customers_open,
       i.first_linked_at, i.last_linked_at, i.oldest_open_since, i.workspace_id
  FROM @extschema@.issue_impact i;
COMMENT ON VIEW woes_bi.issue_impact IS
    'Per linked product issue: its state and the conversations and customers it touches (the contract of woes.issue_impact); key: issue_id';
COMMENT ON COLUMN woes_bi.issue_impact.issue_id IS 'The issue (key)';
COMMENT ON COLUMN woes_bi.issue_impact.provider IS 'The tracker: linear, github, jira, internal, ...';
COMMENT ON COLUMN woes_bi.issue_impact.external_key IS 'The trackers key of the issue';
COMMENT ON COLUMN woes_bi.issue_impact.title IS 'The issues title in the tracker';
COMMENT ON COLUMN woes_bi.issue_impact.state IS 'Its state: open, in_progress, done, canceled';
COMMENT ON COLUMN woes_bi.issue_impact.provider_state IS 'Its state as the tracker names it';
COMMENT ON COLUMN woes_bi.issue_impact.url IS 'Its address in the tracker';
COMMENT ON COLUMN woes_bi.issue_impact.conversations_total IS 'Conversations linked to it';
COMMENT ON COLUMN woes_bi.issue_impact.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.issue_impact.customers IS 'Distinct customers of the linked conversations';
COMMENT ON COLUMN woes_bi.issue_impact.customers_open IS 'Distinct customers of the open ones';
COMMENT ON COLUMN woes_bi.issue_impact.first_linked_at IS 'When it was first linked';
COMMENT ON COLUMN woes_bi.issue_impact.last_linked_at IS 'When it was last linked';
COMMENT ON COLUMN woes_bi.issue_impact.oldest_open_since IS 'When the oldest open linked conversation started';
COMMENT ON COLUMN woes_bi.issue_impact.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.operators WITH (security_invoker = true) AS
SELECT o.id AS operator_id, o.name, o.active, o.away, o.created_at, o.workspace_id
  FROM @extschema@.operators o;
COMMENT ON VIEW woes_bi.operators IS
    'Operators (the people who answer), to label and filter by; key: operator_id';
COMMENT ON COLUMN woes_bi.operators.operator_id IS 'The operator (key)';
COMMENT ON COLUMN woes_bi.operators.name IS 'The operators name';
COMMENT ON COLUMN woes_bi.operators.active IS 'Whether the operator works here now';
COMMENT ON COLUMN woes_bi.operators.away IS 'Whether the operator is away (routed nothing)';
COMMENT ON COLUMN woes_bi.operators.created_at IS 'When the operator was added';
COMMENT ON COLUMN woes_bi.operators.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.teams WITH (security_invoker = true) AS
SELECT t.id AS team_id, t.name, t.workspace_id
  FROM @extschema@.teams t;
COMMENT ON VIEW woes_bi.teams IS
    'Teams, to label and filter by; key: team_id';
COMMENT ON COLUMN woes_bi.teams.team_id IS 'The team (key)';
COMMENT ON COLUMN woes_bi.teams.name IS 'The teams name';
COMMENT ON COLUMN woes_bi.teams.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.channels WITH (security_invoker = true) AS
SELECT ch.name AS channel, ch.description
  FROM @extschema@.channels ch;
COMMENT ON VIEW woes_bi.channels IS
    'Channels, to label and filter by; key: channel';
COMMENT ON COLUMN woes_bi.channels.channel IS 'The channel (key): live_chat, email, discord, api, ...';
COMMENT ON COLUMN woes_bi.channels.description IS 'What the channel is';

CREATE VIEW woes_bi.tags WITH (security_invoker = true) AS
SELECT t.id AS tag_id, t.name, t.color,
       (SELECT count(*) FROM @extschema@.conversation_tags ct
         WHERE ct.workspace_id = t.workspace_id AND ct.tag_id = t.id) AS conversations,
       t.workspace_id
  FROM @extschema@.tags t;
COMMENT ON VIEW woes_bi.tags IS
    'Tags, with how many conversations carry each; key: tag_id';
COMMENT ON COLUMN woes_bi.tags.tag_id IS 'The tag (key)';
COMMENT ON COLUMN woes_bi.tags.name IS 'The tags name';
COMMENT ON COLUMN woes_bi.tags.color IS 'Its colour (#rrggbb)';
COMMENT ON COLUMN woes_bi.tags.conversations IS 'Conversations tagged with it now';
COMMENT ON COLUMN woes_bi.tags.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.conversation_tags WITH (security_invoker = true) AS
SELECT ct.conversation_id::text || '/' || ct.tag_id::text AS conversation_tag_id, ct.conversation_id, ct.tag_id,
       ct.created_at AS tagged_at, ct.workspace_id
  FROM @extschema@.conversation_tags ct;
COMMENT ON VIEW woes_bi.conversation_tags IS
    'Which conversation carries which tag; key: conversation_tag_id';
COMMENT ON COLUMN woes_bi.conversation_tags.conversation_tag_id IS 'Key: conversation/tag';
COMMENT ON COLUMN woes_bi.conversation_tags.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.conversation_tags.tag_id IS 'The tag (tags.tag_id)';
COMMENT ON COLUMN woes_bi.conversation_tags.tagged_at IS 'When it was tagged';
COMMENT ON COLUMN woes_bi.conversation_tags.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.status_changes WITH (security_invoker = true) AS
SELECT s.id AS status_change_id, s.conversation_id, s.from_status::text AS from_status, s.to_status::text AS to_status,
       s.actor_kind, s.actor_id, s.created_at AS changed_at, s.workspace_id
  FROM @extschema@.status_events s;
COMMENT ON VIEW woes_bi.status_changes IS
    'Every status change of every conversation, as text; key: status_change_id';
COMMENT ON COLUMN woes_bi.status_changes.status_change_id IS 'The change (key)';
COMMENT ON COLUMN woes_bi.status_changes.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.status_changes.from_status IS 'The status before (empty when it was created)';
COMMENT ON COLUMN woes_bi.status_changes.to_status IS 'The status after: open, pending, snoozed, resolved, closed';
COMMENT ON COLUMN woes_bi.status_changes.actor_kind IS 'Who changed it: customer, agent, operator, system';
COMMENT ON COLUMN woes_bi.status_changes.actor_id IS 'The contact, agent or operator who changed it';
COMMENT ON COLUMN woes_bi.status_changes.changed_at IS 'When';
COMMENT ON COLUMN woes_bi.status_changes.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.handoffs WITH (security_invoker = true) AS
SELECT h.id AS handoff_id, h.conversation_id, h.kind, h.from_control::text AS from_control, h.to_control::text AS to_control,
       h.actor_kind, h.actor_id, h.operator_id, h.created_at AS handed_at, h.workspace_id
  FROM @extschema@.handoff_events h;
COMMENT ON VIEW woes_bi.handoffs IS
    'Every handoff between automation and people, as text; key: handoff_id';
COMMENT ON COLUMN woes_bi.handoffs.handoff_id IS 'The handoff (key)';
COMMENT ON COLUMN woes_bi.handoffs.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.handoffs.kind IS 'requested, taken_over or released';
COMMENT ON COLUMN woes_bi.handoffs.from_control IS 'Who answered before: automation, handoff_requested, operator';
COMMENT ON COLUMN woes_bi.handoffs.to_control IS 'Who answers after';
COMMENT ON COLUMN woes_bi.handoffs.actor_kind IS 'Who made it: customer, agent, operator, system';
COMMENT ON COLUMN woes_bi.handoffs.actor_id IS 'The contact, agent or operator who made it';
COMMENT ON COLUMN woes_bi.handoffs.operator_id IS 'The operator holding it after a takeover';
COMMENT ON COLUMN woes_bi.handoffs.handed_at IS 'When';
COMMENT ON COLUMN woes_bi.handoffs.workspace_id IS 'The workspace (always yours)';


-- Custom fields, for analysts only in aggregate: a text field may hold what
-- identifies a customer, so no view shows a conversation's own value.  The
-- values' table has no policy for analysts (nor may a backend in the
-- analyst audience read it), so the aggregates come from a SECURITY
-- DEFINER function that reads the caller's workspace only; one query per
-- field, each on the workspace's shard on Citus.
CREATE FUNCTION @extschema@.field_stats()
    RETURNS TABLE (field_key text, field_type text, required boolean, options text, option text,
                   conversations bigint, conversations_open bigint,
                   number_min numeric, number_max numeric, number_avg numeric, number_sum numeric,
                   date_min date, date_max date, created_at timestamptz, workspace_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws     uuid := @extschema@.current_workspace();
    d      record;
    counts jsonb;
    o      text;
BEGIN
    IF ws IS NULL OR NOT @extschema@.in_audience('{analyst,operator,admin}') THEN
        RETURN;
    END IF;
    FOR d IN
        SELECT fd.key, fd.type, fd.required, fd.options, fd.created_at
          FROM @extschema@.field_definitions fd
         WHERE fd.workspace_id = ws
         ORDER BY fd.key
    LOOP
        field_key := d.key; field_type := d.type; required := d.required;
        options := array_to_string(d.options, ', '); option := NULL;
        created_at := d.created_at; workspace_id := ws;
        SELECT count(*), count(*) FILTER (WHERE x.open),
               min(x.num), max(x.num), avg(x.num), sum(x.num), min(x.day), max(x.day)
          INTO conversations, conversations_open,
               number_min, number_max, number_avg, number_sum, date_min, date_max
          FROM (SELECT CASE WHEN d.type = 'number' THEN (cf.value)::numeric END AS num,
                       CASE WHEN d.type = 'date' THEN (cf.value #>> '{}')::date END AS day,
                       c.status::text IN ('open', 'pending', 'snoozed') AS open
                  FROM @extschema@.conversation_fields cf
                  JOIN @extschema@.conversations c ON c.workspace_id = cf.workspace_id AND c.id = cf.conversation_id
                 WHERE cf.workspace_id = ws AND c.workspace_id = ws AND cf.key = d.key) x;
        RETURN NEXT;
        -- one row per option (the select types) or per truth value
        CONTINUE WHEN d.type NOT IN ('select', 'multi_select', 'boolean');
        SELECT jsonb_object_agg(y.val, jsonb_build_array(y.n, y.n_open)) INTO counts
          FROM (SELECT e.val, count(*) AS n,
                       count(*) FILTER (WHERE c.status::text IN ('open', 'pending', 'snoozed')) AS n_open
                  FROM @extschema@.conversation_fields cf
                  JOIN @extschema@.conversations c ON c.workspace_id = cf.workspace_id AND c.id = cf.conversation_id
                 CROSS JOIN LATERAL jsonb_array_elements_text(
                       CASE WHEN jsonb_typeof(cf.value) = 'array' THEN cf.value
                            ELSE jsonb_build_array(cf.value) END) e (val)
                 WHERE cf.workspace_id = ws AND c.workspace_id = ws AND cf.key = d.key
                 GROUP BY e.val) y;
        number_min := NULL; number_max := NULL; number_avg := NULL; number_sum := NULL;
        date_min := NULL; date_max := NULL; required := NULL; options := NULL;
        FOREACH o IN ARRAY CASE WHEN d.type = 'boolean' THEN '{true,false}'::text[] ELSE d.options END
        LOOP
            option := o;
            conversations := coalesce((counts -> o ->> 0)::bigint, 0);
            conversations_open := coalesce((counts -> o ->> 1)::bigint, 0);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.field_stats() IS
    'Internal: the custom fields of the context''s workspace in aggregate, for woes_bi.fields and woes_bi.field_options (no conversation''s own value); analyst, operator and admin audiences';

CREATE VIEW woes_bi.fields WITH (security_invoker = true) AS
SELECT s.field_key, s.field_type, s.required, s.options, s.conversations, s.conversations_open,
       s.number_min, s.number_max, s.number_avg, s.number_sum, s.date_min, s.date_max, s.created_at,
       s.workspace_id
  FROM @extschema@.field_stats() s
 WHERE s.option IS NULL;
COMMENT ON VIEW woes_bi.fields IS
    'Custom fields, each with how many conversations have a value and, for number and date fields, its range; in aggregate only (no conversation''s own value); key: field_key';
COMMENT ON COLUMN woes_bi.fields.field_key IS 'The field (key), as the API names it';
COMMENT ON COLUMN woes_bi.fields.field_type IS 'Its type: text, number, boolean, date, select, multi_select';
COMMENT ON COLUMN woes_bi.fields.required IS 'Whether a conversation needs it set to be resolved';
COMMENT ON COLUMN woes_bi.fields.options IS 'The options of a select field, comma separated';
COMMENT ON COLUMN woes_bi.fields.conversations IS 'Conversations with a value';
COMMENT ON COLUMN woes_bi.fields.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.fields.number_min IS 'The smallest value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_max IS 'The largest value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_avg IS 'The average value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_sum IS 'The sum of the values (number fields)';
COMMENT ON COLUMN woes_bi.fields.date_min IS 'The earliest value (date fields)';
COMMENT ON COLUMN woes_bi.fields.date_max IS 'The latest value (date fields)';
COMMENT ON COLUMN woes_bi.fields.created_at IS 'When the field was defined';
COMMENT ON COLUMN woes_bi.fields.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.field_options WITH (security_invoker = true) AS
SELECT s.field_key || '=' || s.option AS field_option_id, s.field_key, s.field_type, s.option,
       s.conversations, s.conversations_open, s.workspace_id
  FROM @extschema@.field_stats() s
 WHERE s.option IS NOT NULL;
COMMENT ON VIEW woes_bi.field_options IS
    'Per option of a select or multi-select field (and per true and false of a boolean field): how many conversations have it; key: field_option_id';
COMMENT ON COLUMN woes_bi.field_options.field_option_id IS 'Key: field=option';
COMMENT ON COLUMN woes_bi.field_options.field_key IS 'The field (fields.field_key)';
COMMENT ON COLUMN woes_bi.field_options.field_type IS 'Its type: select, multi_select or boolean';
COMMENT ON COLUMN woes_bi.field_options.option IS 'The option (true or false for a boolean field)';
COMMENT ON COLUMN woes_bi.field_options.conversations IS 'Conversations with this option (a multi-select counts under each of its options)';
COMMENT ON COLUMN woes_bi.field_options.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.field_options.workspace_id IS 'The workspace (always yours)';

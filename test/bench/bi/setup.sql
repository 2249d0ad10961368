-- The BI benchmark's data (test/bench/bi/run.sh): one workspace 'bench-bi'
-- with :conversations conversations spread over the last :days days
-- (ending now), and a smaller one, 'bench-bi-other', with :other, so that
-- row-level security has something to exclude.  Each workspace has 4 teams
-- (2 for the small one), :operators operators (10), each in one team, and
-- one agent serving live_chat.
--
-- Loaded in bulk as the superuser, not through the API: with
-- session_replication_role = replica no trigger fires (the lifecycle
-- trigger that enforces the rules and writes the histories, the id and
-- numbering triggers, the foreign-key checks), so this script writes
-- every history row and every metric column itself, consistent with one
-- another, the way the triggers would have:
--
--   kind A (30%, live_chat): automation answers (an agent's reply), the
--     customer asks for a person (handoff_events: automation ->
--     handoff_requested), routing assigns an operator, who takes over
--     (handoff_requested -> operator) and replies; the human clock starts
--     at the request;
--   kind B (10%, live_chat): automation answers and resolves it; the
--     conversation sits in a team's queue (an assignment with a team and
--     no operator), no operator ever replies;
--   kind C (60%, email 40% and api 20%): routed to an operator at once,
--     who replies (email and api: 5 minutes to 8 hours after assignment).
--   A and C: 1-3 operator replies (reply_times; the first is the first
--     human response), a reassignment to another operator for 25%
--     (assignments: 1-2 rows); every conversation resolved after its last
--     reply, 10% reopened by the customer and resolved again.
--   Anything that would happen after now has not happened: the newest
--     conversations are open, unanswered or not yet handed off.
--
-- History rows are inserted in the order of their time, as a live database
-- writes them (a conversation's events are spread over hours or days);
-- conversations in creation order across both workspaces.  Ids are UUIDv7
-- made from the row's own time.
--
-- psql -v conversations=1000000 -v other=50000 -v days=180 -v operators=50
--      -v seed=0.42 -f setup.sql DB     (as a superuser; the extension created)
\set ON_ERROR_STOP on
SET client_min_messages = warning;
\if :{?conversations} \else \set conversations 1000000 \endif
\if :{?other} \else \set other 50000 \endif
\if :{?days} \else \set days 180 \endif
\if :{?operators} \else \set operators 50 \endif
\if :{?seed} \else \set seed 0.42 \endif
\if :{?verbose} \else \set verbose 0 \endif
\if :verbose \timing on \endif

SELECT woes.create_workspace('bench-bi', 'BI benchmark') AS ws \gset
SELECT woes.create_workspace('bench-bi-other', 'Another workspace') AS other_ws \gset
-- the load's "now": events after it have not happened
SELECT date_trunc('second', now()) AS t_now \gset

CREATE SCHEMA bench_load;
-- a UUIDv7 from a time and a number unique in its table: the time's
-- milliseconds, version 7, and the number (variant 10)
CREATE FUNCTION bench_load.v7(t timestamptz, n bigint) RETURNS uuid
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
        || lpad(to_hex(n % 4096), 3, '0') || '8' || lpad(to_hex(n), 15, '0'))::uuid;

SET session_replication_role = replica;
SELECT setseed(:seed) \g /dev/null

CREATE UNLOGGED TABLE bench_load.ws AS
SELECT * FROM (VALUES (1, :'ws'::uuid, :conversations::int, :operators::int, 4),
                      (2, :'other_ws'::uuid, :other::int, 10, 2)) v(k, ws, total, nops, nteams);

-- teams, operators (operator i in team 1 + i % nteams), agents
CREATE UNLOGGED TABLE bench_load.teams AS
SELECT w.ws, t AS k, bench_load.v7(:'t_now'::timestamptz - make_interval(days => :days + 30), w.k * 100 + t) AS id
  FROM bench_load.ws w, generate_series(1, w.nteams) t;
INSERT INTO woes.teams (workspace_id, id, name, created_at)
SELECT ws, id, (ARRAY['Tier 1', 'Tier 2', 'Billing', 'Enterprise'])[k],
       :'t_now'::timestamptz - make_interval(days => :days + 30)
  FROM bench_load.teams;
CREATE UNLOGGED TABLE bench_load.ops AS
SELECT w.ws, i AS k, 1 + i % w.nteams AS team_k,
       bench_load.v7(:'t_now'::timestamptz - make_interval(days => :days + 30), w.k * 100000 + i) AS id
  FROM bench_load.ws w, generate_series(1, w.nops) i;
ALTER TABLE bench_load.ops ADD team_id uuid;
UPDATE bench_load.ops o SET team_id = t.id FROM bench_load.teams t WHERE t.ws = o.ws AND t.k = o.team_k;
INSERT INTO woes.operators (workspace_id, id, name, email, created_at)
SELECT ws, id, 'Operator ' || k, 'operator' || k || '@example.com',
       :'t_now'::timestamptz - make_interval(days => :days + 30)
  FROM bench_load.ops;
INSERT INTO woes.team_members (workspace_id, id, team_id, operator_id, created_at)
SELECT ws, bench_load.v7(:'t_now'::timestamptz - make_interval(days => :days + 30), row_number() OVER ()),
       team_id, id, :'t_now'::timestamptz - make_interval(days => :days + 30)
  FROM bench_load.ops;
CREATE UNLOGGED TABLE bench_load.agents AS
SELECT w.ws, bench_load.v7(:'t_now'::timestamptz - make_interval(days => :days + 30), w.k) AS id
  FROM bench_load.ws w;
INSERT INTO woes.agents (workspace_id, id, name, channels, created_at)
SELECT ws, id, 'Assistant', '{live_chat}', :'t_now'::timestamptz - make_interval(days => :days + 30)
  FROM bench_load.agents;

-- customers: one per 4 conversations
CREATE UNLOGGED TABLE bench_load.contacts AS
SELECT w.ws, i AS k,
       bench_load.v7(:'t_now'::timestamptz - make_interval(days => :days + 1) + i * interval '1 ms', w.k * 10000000 + i) AS id
  FROM bench_load.ws w, generate_series(1, w.total / 4) i;
INSERT INTO woes.contacts (workspace_id, id, name, created_at, updated_at)
SELECT ws, id, 'customer ' || k,
       :'t_now'::timestamptz - make_interval(days => :days + 1), :'t_now'::timestamptz - make_interval(days => :days + 1)
  FROM bench_load.contacts;

-- One row per conversation with every time it will ever have (the plan);
-- below, what happened by now becomes rows.
CREATE UNLOGGED TABLE bench_load.plan AS
WITH base AS (
    SELECT w.ws, w.nops, w.nteams, w.total / 4 AS ncontacts, g AS n,
           :'t_now'::timestamptz - make_interval(days => :days)
               + (g - 1 + random()) / w.total * make_interval(days => :days) AS t0,
           random() AS r_ch, random() AS r_kind, random() AS r_op1, random() AS r_op2, random() AS r_reas,
           random() AS r_nrep, random() AS r_reopen, random() AS r1, random() AS r2, random() AS r3,
           random() AS r4, random() AS r5, random() AS r6, random() AS r7, random() AS r8, random() AS r9,
           random() AS r10, random() AS r11, random() AS r12, random() AS r13
      FROM bench_load.ws w, generate_series(1, w.total) g
), k AS (
    SELECT b.*,
           CASE WHEN r_ch < 0.4 THEN 'live_chat' WHEN r_ch < 0.8 THEN 'email' ELSE 'api' END AS channel,
           CASE WHEN r_ch >= 0.4 THEN 'C' WHEN r_kind < 0.75 THEN 'A' ELSE 'B' END AS kind,
           -- operators: a skewed share (the first ones take more)
           1 + floor(nops * power(r_op1, 1.5))::int AS op1_k,
           r_reas < 0.25 AS reassigned,
           1 + floor(r_nrep * 3)::int AS nrep,
           r_reopen < 0.1 AS reopened
      FROM base b
), t1 AS (
    SELECT k.*,
           1 + (op1_k + floor(r_op2 * (nops - 1))::int) % nops AS op2_k,
           CASE WHEN kind IN ('A', 'B') THEN t0 + (5 + r1 * 55) * interval '1 second' END AS t_agent,
           CASE WHEN kind = 'A' THEN t0 + (60 + r2 * 840) * interval '1 second' END AS t_req
      FROM k
), t2 AS (
    SELECT t1.*,
           CASE kind WHEN 'A' THEN t_req + (10 + r3 * 110) * interval '1 second'
                     WHEN 'B' THEN t0 + (60 + r3 * 240) * interval '1 second'
                     ELSE t0 + (60 + r3 * 1740) * interval '1 second' END AS t_asg1
      FROM t1
), t3 AS (
    SELECT t2.*,
           CASE WHEN kind = 'A' THEN t_asg1 + (30 + r4 * 1170) * interval '1 second' END AS t_take
      FROM t2
), t4 AS (
    SELECT t3.*,
           CASE kind WHEN 'A' THEN t_take + (20 + r5 * 280) * interval '1 second'
                     WHEN 'C' THEN t_asg1 + (300 + r5 * r5 * 28500) * interval '1 second' END AS t_r1
      FROM t3
), t5 AS (
    SELECT t4.*,
           CASE WHEN kind <> 'B' AND reassigned THEN t_r1 + (60 + r6 * 3540) * interval '1 second' END AS t_reas
      FROM t4
), t6 AS (
    SELECT t5.*,
           CASE WHEN kind <> 'B' AND nrep >= 2
                THEN greatest(t_r1, t_reas) + (600 + r7 * 86000) * interval '1 second' END AS t_r2
      FROM t5
), t7 AS (
    SELECT t6.*,
           CASE WHEN nrep >= 3 THEN t_r2 + (600 + r8 * 86000) * interval '1 second' END AS t_r3
      FROM t6
), t8 AS (
    SELECT t7.*,
           CASE WHEN kind = 'B' THEN t0 + (120 + r9 * 1680) * interval '1 second'
                ELSE greatest(t_r1, t_reas, t_r2, t_r3) + (60 + r9 * 7140) * interval '1 second' END AS t_res1
      FROM t7
), t9 AS (
    SELECT t8.*,
           CASE WHEN reopened THEN t_res1 + (3600 + r10 * 255600) * interval '1 second' END AS t_reopen
      FROM t8
)
SELECT t9.*,
       CASE WHEN reopened THEN t_reopen + (600 + r11 * 86000) * interval '1 second' END AS t_res2,
       -- the customer's message each later reply answered (5%: none waited)
       CASE WHEN n % 20 <> 7 THEN t_r2 - (t_r2 - greatest(t_r1, t_reas)) * (0.1 + 0.8 * r12) END AS ws2,
       CASE WHEN n % 20 <> 11 THEN t_r3 - (t_r3 - t_r2) * (0.1 + 0.8 * r13) END AS ws3
  FROM t9;

-- ids, people and "now" applied: what has happened by :t_now
CREATE UNLOGGED TABLE bench_load.conv AS
SELECT p.ws, p.n, p.kind, p.channel, p.t0, p.reassigned, p.reopened,
       bench_load.v7(p.t0, row_number() OVER (ORDER BY p.t0)) AS id,
       ct.id AS contact_id, ag.id AS agent_id,
       o1.id AS op1, o1.team_id AS team1, o2.id AS op2, o2.team_id AS team2, tb.id AS team_b,
       CASE WHEN p.t_agent <= :'t_now' THEN p.t_agent END AS t_agent,
       CASE WHEN p.t_req <= :'t_now' THEN p.t_req END AS t_req,
       CASE WHEN p.t_asg1 <= :'t_now' THEN p.t_asg1 END AS t_asg1,
       CASE WHEN p.t_take <= :'t_now' THEN p.t_take END AS t_take,
       CASE WHEN p.t_r1 <= :'t_now' THEN p.t_r1 END AS t_r1,
       CASE WHEN p.t_reas <= :'t_now' THEN p.t_reas END AS t_reas,
       CASE WHEN p.t_r2 <= :'t_now' THEN p.t_r2 END AS t_r2,
       CASE WHEN p.t_r3 <= :'t_now' THEN p.t_r3 END AS t_r3,
       CASE WHEN p.t_res1 <= :'t_now' THEN p.t_res1 END AS t_res1,
       CASE WHEN p.t_reopen <= :'t_now' THEN p.t_reopen END AS t_reopen,
       CASE WHEN p.t_res2 <= :'t_now' THEN p.t_res2 END AS t_res2,
       p.ws2, p.ws3
  FROM bench_load.plan p
  JOIN bench_load.contacts ct ON ct.ws = p.ws AND ct.k = 1 + (p.n::bigint * 7919) % p.ncontacts
  JOIN bench_load.agents ag ON ag.ws = p.ws
  JOIN bench_load.ops o1 ON o1.ws = p.ws AND o1.k = p.op1_k
  JOIN bench_load.ops o2 ON o2.ws = p.ws AND o2.k = p.op2_k
  JOIN bench_load.teams tb ON tb.ws = p.ws AND tb.k = 1 + p.n % p.nteams;
DROP TABLE bench_load.plan;

INSERT INTO woes.conversations (
    workspace_id, id, number, channel, status, control, controller_id, contact_id, assignee_id, team_id,
    last_message_at, waiting_since, unanswered_count, created_at, updated_at,
    first_customer_message_at, first_response_at, human_clock_from, first_human_response_at,
    first_operator_message_at, first_resolved_at, last_resolved_at, reopen_count, assignment_count,
    first_assigned_at, handoff_requested_at, handoff_taken_at)
SELECT x.ws, x.id, x.n, x.channel, x.status::woes.status,
       CASE x.kind WHEN 'B' THEN 'automation' WHEN 'C' THEN 'operator'
            ELSE CASE WHEN x.t_take IS NOT NULL THEN 'operator'
                      WHEN x.t_req IS NOT NULL THEN 'handoff_requested' ELSE 'automation' END
       END::woes.control,
       CASE WHEN x.t_take IS NOT NULL THEN x.op1 END,
       x.contact_id, x.assignee, x.team,
       greatest(x.t0, x.t_agent, x.t_r1, x.t_r2, x.t_r3),
       CASE WHEN x.status = 'open' AND x.kind <> 'B' AND x.t_r1 IS NULL THEN x.t0 END,
       CASE WHEN x.status = 'open' AND x.kind <> 'B' AND x.t_r1 IS NULL THEN 1 ELSE 0 END,
       x.t0,
       greatest(x.t0, x.t_agent, x.t_req, x.t_asg1, x.t_take, x.t_r1, x.t_reas, x.t_r2, x.t_r3,
                x.t_res1, x.t_reopen, x.t_res2),
       x.t0,
       CASE WHEN x.kind = 'C' THEN x.t_r1 ELSE x.t_agent END,
       CASE x.kind WHEN 'A' THEN x.t_req WHEN 'C' THEN x.t0 END,
       x.t_r1, x.t_r1,
       x.t_res1,
       coalesce(x.t_res2, x.t_res1),
       (x.t_reopen IS NOT NULL)::int,
       CASE WHEN x.kind = 'B' THEN 0
            ELSE (x.t_asg1 IS NOT NULL)::int + (x.reassigned AND x.t_reas IS NOT NULL)::int END,
       CASE WHEN x.kind <> 'B' THEN x.t_asg1 END,
       x.t_req, x.t_take
  FROM (SELECT c.*,
               CASE WHEN c.t_res2 IS NOT NULL THEN 'resolved' WHEN c.t_reopen IS NOT NULL THEN 'open'
                    WHEN c.t_res1 IS NOT NULL THEN 'resolved' ELSE 'open' END AS status,
               CASE WHEN c.kind = 'B' THEN NULL
                    WHEN c.t_reas IS NOT NULL THEN c.op2 WHEN c.t_asg1 IS NOT NULL THEN c.op1 END AS assignee,
               CASE WHEN c.kind = 'B' THEN CASE WHEN c.t_asg1 IS NOT NULL THEN c.team_b END
                    WHEN c.t_reas IS NOT NULL THEN c.team2 WHEN c.t_asg1 IS NOT NULL THEN c.team1 END AS team
          FROM bench_load.conv c) x
 ORDER BY x.t0;

INSERT INTO woes.workspace_counters (workspace_id, last_conversation_number)
SELECT ws, total FROM bench_load.ws;

-- status history: created (-> open), resolved, reopened (resolved -> open),
-- resolved again
INSERT INTO woes.status_events (workspace_id, conversation_id, from_status, to_status, actor_kind, actor_id, created_at)
SELECT e.ws, e.id, e.from_s::woes.status, e.to_s::woes.status, e.actor_kind, e.actor_id, e.at
  FROM (SELECT c.ws, c.id, NULL AS from_s, 'open' AS to_s, 'customer' AS actor_kind, c.contact_id AS actor_id,
               c.t0 AS at, 1 AS seq
          FROM bench_load.conv c
        UNION ALL
        SELECT c.ws, c.id, 'open', 'resolved',
               CASE WHEN c.kind = 'B' THEN 'agent' ELSE 'operator' END,
               CASE WHEN c.kind = 'B' THEN c.agent_id WHEN c.t_reas IS NOT NULL THEN c.op2 ELSE c.op1 END,
               c.t_res1, 2
          FROM bench_load.conv c WHERE c.t_res1 IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, 'resolved', 'open', 'customer', c.contact_id, c.t_reopen, 3
          FROM bench_load.conv c WHERE c.t_reopen IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, 'open', 'resolved',
               CASE WHEN c.kind = 'B' THEN 'agent' ELSE 'operator' END,
               CASE WHEN c.kind = 'B' THEN c.agent_id WHEN c.t_reas IS NOT NULL THEN c.op2 ELSE c.op1 END,
               c.t_res2, 4
          FROM bench_load.conv c WHERE c.t_res2 IS NOT NULL) e
 ORDER BY e.at, e.seq;

-- assignment history: routed to an operator (A, C) or to a team's queue
-- (B); 25% of A and C reassigned to another operator
INSERT INTO woes.assignments (workspace_id, conversation_id, from_assignee_id, to_assignee_id, from_team_id, to_team_id,
                              actor_kind, actor_id, created_at)
SELECT e.ws, e.id, e.from_a, e.to_a, e.from_t, e.to_t, e.actor_kind, e.actor_id, e.at
  FROM (SELECT c.ws, c.id, NULL::uuid AS from_a, CASE WHEN c.kind <> 'B' THEN c.op1 END AS to_a,
               NULL::uuid AS from_t, CASE WHEN c.kind <> 'B' THEN c.team1 ELSE c.team_b END AS to_t,
               CASE WHEN c.kind = 'B' THEN 'agent' ELSE 'system' END AS actor_kind,
               CASE WHEN c.kind = 'B' THEN c.agent_id END AS actor_id, c.t_asg1 AS at
          FROM bench_load.conv c WHERE c.t_asg1 IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, c.op1, c.op2, c.team1, c.team2, 'operator', c.op1, c.t_reas
          FROM bench_load.conv c WHERE c.t_reas IS NOT NULL) e
 ORDER BY e.at;

-- handoff history (A): the customer asks for a person, the operator takes over
INSERT INTO woes.handoff_events (workspace_id, conversation_id, kind, from_control, to_control,
                                 actor_kind, actor_id, operator_id, created_at)
SELECT e.ws, e.id, e.kind, e.from_c::woes.control, e.to_c::woes.control, e.actor_kind, e.actor_id, e.operator_id, e.at
  FROM (SELECT c.ws, c.id, 'requested' AS kind, 'automation' AS from_c, 'handoff_requested' AS to_c,
               'customer' AS actor_kind, c.contact_id AS actor_id, NULL::uuid AS operator_id, c.t_req AS at, 1 AS seq
          FROM bench_load.conv c WHERE c.t_req IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, 'taken_over', 'handoff_requested', 'operator', 'operator', c.op1, c.op1, c.t_take, 2
          FROM bench_load.conv c WHERE c.t_take IS NOT NULL) e
 ORDER BY e.at, e.seq;

-- operator replies (A, C): the first is the first human response; later
-- ones by the assignee of the moment
INSERT INTO woes.reply_times (workspace_id, message_id, conversation_id, operator_id, team_id, channel,
                              waiting_since, replied_at)
SELECT e.ws, bench_load.v7(e.at, row_number() OVER (ORDER BY e.at)), e.id, e.op, e.team, e.channel, e.waited, e.at
  FROM (SELECT c.ws, c.id, c.op1 AS op, c.team1 AS team, c.channel, c.t0 AS waited, c.t_r1 AS at
          FROM bench_load.conv c WHERE c.t_r1 IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, CASE WHEN c.reassigned THEN c.op2 ELSE c.op1 END,
               CASE WHEN c.reassigned THEN c.team2 ELSE c.team1 END, c.channel, c.ws2, c.t_r2
          FROM bench_load.conv c WHERE c.t_r2 IS NOT NULL
        UNION ALL
        SELECT c.ws, c.id, CASE WHEN c.reassigned THEN c.op2 ELSE c.op1 END,
               CASE WHEN c.reassigned THEN c.team2 ELSE c.team1 END, c.channel, c.ws3, c.t_r3
          FROM bench_load.conv c WHERE c.t_r3 IS NOT NULL) e
 ORDER BY e.at;

RESET session_replication_role;
DROP SCHEMA bench_load CASCADE;
VACUUM ANALYZE woes.contacts, woes.conversations, woes.status_events, woes.assignments, woes.handoff_events,
    woes.reply_times, woes.operators, woes.teams, woes.team_members, woes.agents, woes.workspaces,
    woes.workspace_counters;

-- woes benchmark data generator (test/bench/generate.sql)
--
--   psql -X -v ON_ERROR_STOP=1 -v workspaces=1000 -v conversations=1000000 \
--        -f test/bench/generate.sql DBNAME
--
-- Run as a superuser in a database where CREATE EXTENSION woes has been
-- done and no workspace exists yet (-v reset=1 empties the woes tables
-- first).  Everything is set-based (INSERT ... SELECT generate_series), in
-- one transaction.
--
-- Parameters (psql -v NAME=VALUE), with their defaults:
--   workspaces=100           number of workspaces
--   conversations=10000      number of conversations, over all workspaces
--   skew=1.0                 workspace sizes follow a Zipf law: workspace i
--                            gets a share proportional to 1/i^skew (0 = equal)
--   conversations_per_contact=2
--   messages=0               messages per conversation (customer, reply,
--                            customer, ... ; 0 = none)
--   samples=100000           size of the bench.ids sample of conversation ids
--   seed=0.42                random seed (same parameters => same shape)
--   reset=0                  1: empty the woes tables and bench schema first
--
-- The load runs with row_security = off (possible only for a role that
-- bypasses RLS): the context triggers stand down, as in a pg_restore, and
-- the conversation numbers given here are kept (allocate_conversation_number
-- keeps a given number in that mode), so the generator numbers each
-- workspace's conversations 1..n itself and sets
-- workspace_counters.last_conversation_number to n.
--
-- The data:
--   * workspace sizes: Zipf (a few large tenants, a long tail of small ones);
--   * conversations arrive over the last 365 days, interleaved across
--     workspaces in time order (the heap is not clustered by workspace, as
--     in a real database); numbers follow creation time within a workspace;
--   * status depends on age: conversations of the last 14 days are mostly
--     open/pending/snoozed, older ones mostly resolved/closed (overall about
--     8% open, 3% pending, 1% snoozed, 24% resolved, 64% closed);
--   * last_message_at within 10 days of creation (NULL for 1%: a
--     conversation an operator opened without a message);
--   * channels: live_chat 45%, email 35%, discord 10%, api 10%;
--   * 60% assigned to one of the workspace's operators (2 + 1 per 2,000
--     conversations, at most 40); control: 80% operator (held by the
--     assignee, if any), 15% automation, 5% handoff_requested; half of the
--     open ones wait for a reply (waiting_since, unanswered_count);
--   * one contact per conversations_per_contact conversations, each with an
--     identity on the channel.
--
-- It also writes schema bench (read by the pgbench scripts):
--   bench.ids(n, workspace_id, id)           random sample of conversations
--   bench.workspaces(n, workspace_id, conversations, open_conversations)
--   bench.inbox_ws(n, workspace_id, ...)     workspaces with >= 50 open
--                                            conversations (a full inbox page),
--                                            largest first
--   bench.meta(key, value)                   counts for pgbench -D

\set QUIET on
\set ON_ERROR_STOP on
\if :{?workspaces} \else \set workspaces 100 \endif
\if :{?conversations} \else \set conversations 10000 \endif
\if :{?skew} \else \set skew 1.0 \endif
\if :{?conversations_per_contact} \else \set conversations_per_contact 2 \endif
\if :{?messages} \else \set messages 0 \endif
\if :{?samples} \else \set samples 100000 \endif
\if :{?seed} \else \set seed 0.42 \endif
\if :{?reset} \else \set reset 0 \endif
\if :{?verbose} \else \set verbose 0 \endif

SELECT (rolsuper OR rolbypassrls) AS bench_can_load FROM pg_roles WHERE rolname = current_user \gset
\if :bench_can_load
\else
    \echo 'generate.sql: run this as a superuser (it loads with row_security = off)'
    \quit
\endif

SELECT EXISTS (SELECT FROM pg_extension WHERE extname = 'woes') AS bench_has_woes \gset
\if :bench_has_woes
\else
    \echo 'generate.sql: CREATE EXTENSION woes first'
    \quit
\endif

SET row_security = off;
-- the extension's operators (woes.status = ...) live in schema woes
SET search_path = pg_catalog, public, woes;
SET work_mem = '256MB';
SET maintenance_work_mem = '512MB';
SET client_min_messages = warning;

\if :reset
    TRUNCATE woes.messages, woes.participants, woes.conversations, woes.identities,
             woes.contacts, woes.team_members, woes.teams, woes.agents, woes.operators,
             woes.role_bindings, woes.workspaces CASCADE;
    DROP SCHEMA IF EXISTS bench CASCADE;
\endif

SELECT EXISTS (SELECT FROM woes.workspaces) AS bench_not_empty \gset
\if :bench_not_empty
    \echo 'generate.sql: the database already has workspaces (pass -v reset=1 to empty the woes tables first)'
    \quit
\endif

SELECT :messages > 0 AS bench_messages \gset
\echo generating :workspaces workspaces, :conversations conversations, :messages messages per conversation
\if :verbose
    \timing on
\endif

BEGIN;
SELECT setseed(:seed) \gset bench_

-- The plan: how many conversations each workspace gets (Zipf shares,
-- at least 1, the rounding remainder to the largest).
CREATE TEMP TABLE plan ON COMMIT DROP AS
WITH w AS (
    SELECT i, 1.0 / power(i, :skew::numeric) AS weight
      FROM generate_series(1, :workspaces) i
), c AS (
    SELECT i, greatest(1, floor(:conversations * weight / sum(weight) OVER ()))::int AS cnt
      FROM w
)
SELECT i,
       woes.uuid_generate_v7() AS id,
       cnt + CASE WHEN i = 1 THEN :conversations - sum(cnt) OVER () ELSE 0 END AS cnt
  FROM c;
ALTER TABLE plan ADD PRIMARY KEY (i);
ALTER TABLE plan ADD COLUMN contacts int, ADD COLUMN operators int;
UPDATE plan SET contacts = ceil(cnt::numeric / :conversations_per_contact)::int,
                operators = least(40, 2 + cnt / 2000);

INSERT INTO woes.workspaces (id, slug, name, settings, created_at)
SELECT id, format('bench-%s', lpad(i::text, 5, '0')), format('Bench workspace %s', i),
       '{}', now() - interval '400 days'
  FROM plan ORDER BY i;
INSERT INTO woes.workspace_counters (workspace_id, last_conversation_number)
SELECT id, cnt FROM plan ORDER BY i;

-- operators (kept with their per-workspace ordinal for assignment)
CREATE TEMP TABLE ops ON COMMIT DROP AS
SELECT p.i, p.id AS workspace_id, j AS seq, woes.uuid_generate_v7() AS id
  FROM plan p CROSS JOIN LATERAL generate_series(1, p.operators) j;
INSERT INTO woes.operators (workspace_id, id, name, email, created_at)
SELECT workspace_id, id, format('Operator %s', seq), format('op%s@ws%s.example', seq, i),
       now() - interval '400 days'
  FROM ops ORDER BY i, seq;
ALTER TABLE ops ADD PRIMARY KEY (i, seq);
ANALYZE ops;

-- contacts: contact s of a workspace starts conversations
-- first_number .. last_number (conversations_per_contact of them, the last
-- contact possibly fewer)
CREATE TEMP TABLE cts ON COMMIT DROP AS
SELECT p.i, p.id AS workspace_id, p.cnt, s AS seq, woes.uuid_generate_v7() AS id,
       (s - 1) * :conversations_per_contact + 1 AS first_number,
       least(s * :conversations_per_contact, p.cnt) AS last_number
  FROM plan p CROSS JOIN LATERAL generate_series(1, p.contacts) s;

INSERT INTO woes.contacts (workspace_id, id, name, email, created_at, updated_at)
SELECT workspace_id, id, format('Customer %s-%s', i, seq), format('c%s@ws%s.example', seq, i),
       now() - interval '380 days', now() - interval '380 days'
  FROM cts ORDER BY i, seq;

INSERT INTO woes.identities (workspace_id, contact_id, channel, external_id, created_at)
SELECT workspace_id, id,
       (ARRAY['live_chat', 'email', 'discord', 'api'])[1 + (seq % 4)],
       format('ext-%s-%s', i, seq), now() - interval '380 days'
  FROM cts ORDER BY i, seq;

-- conversations: generated per contact (all random draws made here, one
-- row at a time), then inserted in creation order across all workspaces,
-- as they would have arrived
CREATE TEMP TABLE conv ON COMMIT DROP AS
SELECT c.i, c.workspace_id, c.id AS contact_id, n AS number, c.cnt,
       now() - interval '365 days' * (1 - (n - 1 + random()) / c.cnt) AS created_at,
       random() AS r_status, random() AS r_channel, random() AS r_control,
       random() AS r_time, random() AS r_assign
  FROM cts c CROSS JOIN LATERAL generate_series(c.first_number, c.last_number) n;

INSERT INTO woes.conversations
    (workspace_id, number, channel, status, control, controller_id, contact_id, assignee_id,
     subject, thread_ref, snoozed_until, last_message_at, waiting_since, unanswered_count,
     created_at, updated_at)
SELECT c.workspace_id, c.number, c.channel, c.status::woes.status,
       c.control::woes.control,
       CASE WHEN c.control = 'operator' THEN o.id END,
       c.contact_id,
       o.id,
       format('%s about %s', (ARRAY['Question', 'Problem', 'Request', 'Feedback'])[1 + c.number % 4],
              (ARRAY['billing', 'login', 'the API', 'an order', 'shipping', 'my account', 'an invoice'])[1 + c.number % 7]),
       format('%s-%s', c.channel, c.number),
       CASE WHEN c.status = 'snoozed' THEN now() + interval '1 hour' * (1 + 72 * c.r_time) END,
       c.last_message_at,
       CASE WHEN c.status = 'open' AND c.r_time < 0.5 THEN c.last_message_at END,
       CASE WHEN c.status = 'open' AND c.r_time < 0.5 THEN 1 ELSE 0 END,
       c.created_at,
       coalesce(c.last_message_at, c.created_at)
  FROM (
    SELECT c.*,
           CASE WHEN now() - c.created_at < interval '14 days' THEN
                    CASE WHEN c.r_status < 0.50 THEN 'open' WHEN c.r_status < 0.70 THEN 'pending'
                         WHEN c.r_status < 0.78 THEN 'snoozed' WHEN c.r_status < 0.95 THEN 'resolved'
                         ELSE 'closed' END
                ELSE
                    CASE WHEN c.r_status < 0.060 THEN 'open' WHEN c.r_status < 0.085 THEN 'pending'
                         WHEN c.r_status < 0.093 THEN 'snoozed' WHEN c.r_status < 0.333 THEN 'resolved'
                         ELSE 'closed' END
           END AS status,
           CASE WHEN c.r_control < 0.80 THEN 'operator' WHEN c.r_control < 0.95 THEN 'automation'
                ELSE 'handoff_requested' END AS control,
           CASE WHEN c.r_channel < 0.45 THEN 'live_chat' WHEN c.r_channel < 0.80 THEN 'email'
                WHEN c.r_channel < 0.90 THEN 'discord' ELSE 'api' END AS channel,
           -- 1% without any message; otherwise the last activity within 10
           -- days of creation (most of it early)
           CASE WHEN c.r_time < 0.01 THEN NULL
                ELSE least(now(), c.created_at + interval '10 days' * c.r_time * c.r_time) END
               AS last_message_at
      FROM conv c
  ) c
  JOIN plan p ON p.i = c.i
  LEFT JOIN ops o ON c.r_assign < 0.6 AND o.i = c.i AND o.seq = 1 + (c.number % p.operators)
 ORDER BY c.created_at;

\if :bench_messages
-- messages: the first from the customer, then alternating operator replies
-- and customer messages, every 5th reply an internal note
INSERT INTO woes.messages
    (workspace_id, conversation_id, contact_id, author_kind, author_id, visibility, body,
     channel, external_id, created_at)
SELECT c.workspace_id, c.id, c.contact_id,
       CASE WHEN k % 2 = 1 THEN 'customer' ELSE 'operator' END,
       CASE WHEN k % 2 = 1 THEN c.contact_id ELSE c.assignee_id END,
       CASE WHEN k % 2 = 0 AND (c.number + k) % 10 = 0 THEN 'internal' ELSE 'public' END::woes.visibility,
       format('Message %s of conversation %s: %s', k, c.number,
              repeat('lorem ipsum dolor sit amet ', (2 + (c.number + k) % 6)::int)),
       c.channel,
       CASE WHEN k % 2 = 1 THEN format('%s-%s-%s', c.number, c.channel, k) END,
       c.created_at + (coalesce(c.last_message_at, c.created_at) - c.created_at) * (k - 1) / greatest(1, :messages - 1)
  FROM woes.conversations c
  CROSS JOIN LATERAL generate_series(1, :messages) k
 WHERE c.last_message_at IS NOT NULL
 ORDER BY c.created_at, k;
\endif

COMMIT;

-- the sample tables the pgbench scripts read
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA bench GRANT SELECT ON TABLES TO PUBLIC;

CREATE TABLE bench.ids AS
SELECT row_number() OVER ()::int AS n, workspace_id, id
  FROM (SELECT workspace_id, id FROM woes.conversations ORDER BY random() LIMIT :samples) s;
ALTER TABLE bench.ids ADD PRIMARY KEY (n);

CREATE TABLE bench.workspaces AS
SELECT row_number() OVER (ORDER BY k.last_conversation_number DESC, w.id)::int AS n,
       w.id AS workspace_id, k.last_conversation_number AS conversations,
       (SELECT count(*) FROM woes.conversations c
         WHERE c.workspace_id = w.id AND c.status = 'open')::int AS open_conversations
  FROM woes.workspaces w JOIN woes.workspace_counters k ON k.workspace_id = w.id;
ALTER TABLE bench.workspaces ADD PRIMARY KEY (n);

CREATE TABLE bench.inbox_ws AS
SELECT row_number() OVER (ORDER BY n)::int AS n, workspace_id, conversations, open_conversations
  FROM bench.workspaces
 WHERE open_conversations >= 50
    OR n = 1;   -- (a tiny data set: at least the largest workspace)
ALTER TABLE bench.inbox_ws ADD PRIMARY KEY (n);

CREATE TABLE bench.meta (key text PRIMARY KEY, value text NOT NULL);
INSERT INTO bench.meta VALUES
    ('workspaces', (SELECT count(*) FROM woes.workspaces)),
    ('conversations', (SELECT count(*) FROM woes.conversations)),
    ('contacts', (SELECT count(*) FROM woes.contacts)),
    ('messages', (SELECT count(*) FROM woes.messages)),
    ('nids', (SELECT count(*) FROM bench.ids)),
    ('nws', (SELECT count(*) FROM bench.workspaces)),
    ('ninbox', (SELECT count(*) FROM bench.inbox_ws)),
    ('largest_ws', (SELECT workspace_id FROM bench.workspaces WHERE n = 1)),
    ('largest_ws_conversations', (SELECT conversations FROM bench.workspaces WHERE n = 1)),
    ('largest_ws_open', (SELECT open_conversations FROM bench.workspaces WHERE n = 1));

-- a steady-state database: statistics and visibility map up to date
VACUUM (ANALYZE) woes.workspaces, woes.operators, woes.contacts, woes.identities,
    woes.conversations, woes.messages;
ANALYZE bench.ids, bench.workspaces, bench.inbox_ws, bench.meta;

\if :verbose
    \timing off
\endif
SELECT string_agg(format('%s=%s', key, value), ' ' ORDER BY key) AS bench_summary FROM bench.meta \gset
\echo generated: :bench_summary

-- The outbox through the coordinator: a workspace's events are written on
-- its worker (its sequence, its lock table), so event_horizon() is that
-- node's, and events_since / resolved_conversations read there.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset

-- event ids are unique across the nodes (each node draws from its own range)
SELECT count(*) = count(DISTINCT id) AS unique_ids, count(*) > 0 AS some FROM woes.events;

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
-- every committed event is below the horizon of acme's node
SELECT woes.event_horizon() > (SELECT max(id) FROM woes.events WHERE workspace_id = :'acme') AS horizon_past_all;
SELECT kind, count(*) FROM woes.events_since(0, 100000) GROUP BY 1 ORDER BY 1;
SELECT max(id) AS cursor, count(*) AS served FROM woes.events_since(0, 100000) \gset
SELECT count(*) = :served AS all_of_acme FROM woes.events WHERE workspace_id = :'acme';
COMMIT;
-- a page at a time, in id order
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT count(*) AS first_page FROM woes.events_since(0, 3);
SELECT bool_and(id > 0) AND count(*) = 3 AS ordered_page
  FROM (SELECT id, lag(id) OVER (ORDER BY id) AS prev FROM woes.events_since(0, 3)) p
 WHERE prev IS NULL OR prev < id;
COMMIT;
-- a new event after the cursor: only it
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'chat-9', 'visitor-9', 'new one', 'm-90') IS NOT NULL AS received;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT kind FROM woes.events_since(:cursor, 100) ORDER BY id;
-- the warehouse export: the resolution of the workflow's chat
SELECT number, channel, resolved_by FROM woes.resolved_conversations(0, 100) ORDER BY event_id;
COMMIT;
-- another workspace's reader sees its own only
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS globex_events, bool_and(workspace_id = :'globex') AS own_only
  FROM woes.events_since(0, 100000);
-- naming another workspace is refused
\set VERBOSITY sqlstate
SELECT woes.event_horizon(:'acme');
\set VERBOSITY terse
ROLLBACK;
-- the readers need READ COMMITTED, on a cluster too
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT woes.set_context(:'acme', 'operator', :'ann');
\set VERBOSITY sqlstate
SELECT count(*) FROM woes.events_since(0);
\set VERBOSITY terse
ROLLBACK;
RESET ROLE;

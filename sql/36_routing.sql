-- Routing: woes.route picks the available team member with the fewest open
-- or pending conversations (then the one who waited longest) within their
-- capacity, or nobody; the loads it reads follow every change.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT woes.create_workspace('routing', 'Routing') AS rt \gset
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'rt', 'admin');
SELECT woes.add_operator('Ona', 'ona@rt.test') AS ona \gset
SELECT woes.add_operator('Per', 'per@rt.test') AS per \gset
SELECT woes.add_operator('Qi', 'qi@rt.test') AS qi \gset
SELECT woes.add_operator('Rex', 'rex@rt.test') AS rex \gset
SELECT woes.add_team('Support') AS support \gset
SELECT woes.add_team('Empty') AS empty \gset
SELECT count(woes.add_team_member(:'support', o)) AS members
  FROM unnest(ARRAY[:'ona', :'per', :'qi', :'rex']::uuid[]) AS o;
UPDATE woes.operators SET away = true WHERE id = :'qi';
UPDATE woes.operators SET active = false WHERE id = :'rex';
SELECT woes.upsert_contact('api', 'rt-customer') AS cust \gset
INSERT INTO woes.conversations (channel, contact_id, subject)
VALUES ('api', :'cust', 'rt-1'), ('api', :'cust', 'rt-2'), ('api', :'cust', 'rt-3'), ('api', :'cust', 'rt-4'),
       ('api', :'cust', 'rt-5'), ('api', :'cust', 'rt-6'), ('api', :'cust', 'rt-7');
SELECT string_agg(id::text, ' ' ORDER BY subject) AS ids FROM woes.conversations \gset
COMMIT;
-- two open conversations per operator at most, unless set otherwise (in a
-- transaction of its own: on Citus a write of a reference table must not
-- follow writes of distributed ones)
BEGIN;
SELECT woes.set_context(:'rt', 'admin');
UPDATE woes.workspaces SET settings = settings || '{"routing_capacity": 2}' WHERE id = :'rt';
COMMIT;
RESET ROLE;
SELECT split_part(:'ids', ' ', 1) AS c1, split_part(:'ids', ' ', 2) AS c2, split_part(:'ids', ' ', 3) AS c3,
       split_part(:'ids', ' ', 4) AS c4, split_part(:'ids', ' ', 5) AS c5, split_part(:'ids', ' ', 6) AS c6,
       split_part(:'ids', ' ', 7) AS c7 \gset
-- who: an operator's name for an id
-- (PL/pgSQL, naming the workspace: Citus plans that as one shard's query)
CREATE FUNCTION public.who(op uuid) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    n text;
BEGIN
    SELECT o.name INTO n FROM woes.operators o
     WHERE o.workspace_id = woes.current_workspace() AND o.id = op;
    RETURN coalesce(n, '(nobody)');
END $$;

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'rt', 'operator', :'ona');
-- fewest open first; equal loads go to who waited longest (never assigned first)
SELECT who(woes.route(:'c1', :'support')) AS c1;
SELECT who(woes.route(:'c2', :'support')) AS c2;
SELECT who(woes.route(:'c3', :'support')) AS c3;
SELECT who(woes.route(:'c4', :'support')) AS c4;
-- Ona and Per are full (2 each); Qi is away, Rex inactive: nobody, and the
-- conversation waits in the team's queue
SELECT who(woes.route(:'c5', :'support')) AS c5;
SELECT assignee_id IS NULL AS unassigned, team_id = :'support' AS queued FROM woes.conversations WHERE id = :'c5';
-- a routed conversation keeps its assignee
SELECT who(woes.route(:'c1', :'support')) AS c1_again;
-- a team with nobody in it
SELECT who(woes.route(:'c6', :'empty')) AS c6_empty_team;
COMMIT;

-- the loads follow every change: resolving, snoozing, reopening, unassigning
BEGIN;
SELECT woes.set_context(:'rt', 'operator', :'ona');
SELECT o.name AS operator, l.open_count
  FROM woes.operator_loads l JOIN woes.operators o ON o.workspace_id = l.workspace_id AND o.id = l.operator_id
 ORDER BY 1;
SELECT woes.resolve(:'c1');
SELECT who(woes.route(:'c5', :'support')) AS c5_after_resolve;
SELECT woes.snooze(:'c3', now() + interval '1 day');
SELECT woes.reopen(:'c1');
SELECT woes.set_pending(:'c2');
SELECT o.name AS operator, l.open_count
  FROM woes.operator_loads l JOIN woes.operators o ON o.workspace_id = l.workspace_id AND o.id = l.operator_id
 ORDER BY 1;
-- the kept loads equal a count of the conversations
SELECT count(*) AS loads_wrong
  FROM woes.operators o
  LEFT JOIN woes.operator_loads l ON l.workspace_id = o.workspace_id AND l.operator_id = o.id
 WHERE coalesce(l.open_count, 0) <> (SELECT count(*) FROM woes.conversations c
                                      WHERE c.workspace_id = o.workspace_id AND c.assignee_id = o.id
                                        AND c.status IN ('open', 'pending'));
COMMIT;

-- a per-operator capacity overrides the workspace's (Per may have 3, Qi,
-- back from being away, 1)
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'rt', 'admin');
UPDATE woes.operators SET capacity = 3 WHERE id = :'per';
UPDATE woes.operators SET away = false, capacity = 1 WHERE id = :'qi';
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'rt', 'operator', :'ona');
SELECT who(woes.route(:'c6', :'support')) AS c6;
SELECT who(woes.route(:'c7', :'support')) AS c7;
SELECT woes.unassign(:'c7');
SELECT o.name AS operator, l.open_count
  FROM woes.operator_loads l JOIN woes.operators o ON o.workspace_id = l.workspace_id AND o.id = l.operator_id
 ORDER BY 1;
-- the history says who routed
SELECT count(*) AS routed_by_ona FROM woes.assignments WHERE actor_id = :'ona' AND to_assignee_id IS NOT NULL;
COMMIT;

-- refused
BEGIN;
SELECT woes.set_context(:'rt', 'operator', :'ona');
SELECT try_sql(format('SELECT woes.route(%L, NULL)', :'c7')) AS no_team;
SELECT try_sql(format('SELECT woes.route(%L, %L)', :'c7', '01a00000-0000-7000-8000-000000000001')) AS unknown_team;
SELECT try_sql(format('SELECT woes.route(%L, %L)', '01a00000-0000-7000-8000-000000000001', :'support')) AS unknown_conversation;
COMMIT;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT woes.set_context(:'rt', 'operator', :'ona');
SELECT try_sql(format('SELECT woes.route(%L, %L)', :'c7', :'support')) AS repeatable_read;
COMMIT;
BEGIN;
SELECT woes.set_context(:'rt', 'customer', :'cust');
SELECT try_sql(format('SELECT woes.route(%L, %L)', :'c7', :'support')) AS customer;
SELECT count(*) AS customer_sees_loads FROM woes.operator_loads;
COMMIT;
-- the loads cannot be written by anyone but the trigger
BEGIN;
SELECT woes.set_context(:'rt', 'operator', :'ona');
SELECT try_sql(format('UPDATE woes.operator_loads SET open_count = 0 WHERE operator_id = %L', :'ona')) AS rewrite;
SELECT try_sql(format('INSERT INTO woes.operator_loads (workspace_id, operator_id) VALUES (%L, %L)', :'rt', :'qi')) AS forge;
COMMIT;
-- another workspace sees none of it
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT count(*) AS acme_sees_loads FROM woes.operator_loads WHERE workspace_id = :'rt';
SELECT try_sql(format('SELECT woes.route(%L, %L)', :'c7', :'support')) AS acme_routes_rt;
COMMIT;
RESET ROLE;
DROP FUNCTION public.who(uuid);

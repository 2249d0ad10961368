-- Assignment: woes.assign / woes.unassign, the rules on every write path
-- (a raw UPDATE too), the history and the events, removals.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS carol FROM woes.contacts WHERE name = 'Carol' \gset
SELECT woes.add_operator('Bea', 'bea@acme.test') AS bea \gset
SELECT woes.add_operator('Cid', 'cid@acme.test') AS cid \gset
SELECT woes.add_team('Billing') AS billing \gset
SELECT woes.add_team_member(:'billing', :'ann') IS NOT NULL AS ann_in_billing;
SELECT woes.add_team_member(:'billing', :'bea') IS NOT NULL AS bea_in_billing;
UPDATE woes.operators SET active = false WHERE id = :'cid';
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset
INSERT INTO woes.conversations (channel, contact_id, subject) VALUES ('api', :'carol', 'as-1') RETURNING id AS c1 \gset
INSERT INTO woes.conversations (channel, contact_id, subject) VALUES ('api', :'carol', 'as-2') RETURNING id AS c2 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'admin');
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
COMMIT;

-- everything below as the application's role (row-level security applies)
SET ROLE app;

-- an operator assigns: to a team, then to a member of it
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.assign(:'c1', team => :'billing', reason => 'billing question') AS to_team;
SELECT woes.assign(:'c1', :'bea', :'billing') AS to_bea;
-- the same values again: a no-op, nothing recorded
SELECT woes.assign(:'c1', :'bea', :'billing') AS again;
SELECT assignee_id = :'bea' AS bea_has_it, team_id = :'billing' AS in_billing
  FROM woes.conversations WHERE id = :'c1';
COMMIT;

-- the history: from, to, who, why, in order
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT from_assignee_id IS NULL AS from_nobody, to_assignee_id = :'bea' AS to_bea,
       from_team_id = :'billing' AS from_billing, to_team_id = :'billing' AS to_billing,
       actor_kind, actor_id = :'ann' AS by_ann, reason
  FROM woes.assignments WHERE conversation_id = :'c1' ORDER BY id;
COMMIT;

-- the outbox: one conversation.assigned per change, ids only
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT kind, payload ? 'assignee_id' AS has_assignee, payload->>'team_id' = :'billing' AS team,
       payload->>'actor_kind' AS actor_kind
  FROM woes.events WHERE conversation_id = :'c1' AND kind = 'conversation.assigned' ORDER BY id;
COMMIT;

-- refused, with the reason, on the API and on a raw UPDATE alike
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('SELECT woes.assign(%L, %L)', :'c2', :'cid')) AS inactive;
SELECT try_sql(format('UPDATE woes.conversations SET assignee_id = %L WHERE id = %L', :'cid', :'c2')) AS inactive_raw;
-- a team the operator is not a member of
SELECT woes.add_team('Sales') AS sales \gset
SELECT try_sql(format('SELECT woes.assign(%L, %L, %L)', :'c2', :'ann', :'sales')) AS not_member;
SELECT try_sql(format('UPDATE woes.conversations SET assignee_id = %L, team_id = %L WHERE id = %L',
                      :'ann', :'sales', :'c2')) AS not_member_raw;
-- another workspace's operator: not found here (the API), the key refuses it (raw)
SELECT try_sql(format('SELECT woes.assign(%L, %L)', :'c2', :'gus')) AS other_workspace;
SELECT try_sql(format('UPDATE woes.conversations SET assignee_id = %L WHERE id = %L', :'gus', :'c2')) AS other_workspace_raw;
-- bad arguments
SELECT try_sql(format('SELECT woes.assign(%L)', :'c2')) AS nobody;
SELECT try_sql('SELECT woes.assign(NULL, team => ' || quote_literal(:'billing') || ')') AS no_conversation;
SELECT try_sql(format('SELECT woes.assign(%L, team => %L)', '01a00000-0000-7000-8000-000000000001', :'billing')) AS unknown;
SELECT try_sql(format('SELECT woes.assign(%L, team => %L, reason => %L)', :'c2', :'billing', repeat('x', 1001))) AS long_reason;
SELECT try_sql(format('SELECT woes.unassign(%L)', '01a00000-0000-7000-8000-000000000001')) AS unassign_unknown;
-- nothing recorded by the refusals
SELECT count(*) AS c2_history FROM woes.assignments WHERE conversation_id = :'c2';
COMMIT;

-- a raw UPDATE is recorded like the API; unassign clears both
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
UPDATE woes.conversations SET assignee_id = :'ann' WHERE id = :'c2';
SELECT woes.unassign(:'c2', 'back to the pool') AS unassigned;
SELECT woes.unassign(:'c2') AS unassigned_again;
SELECT to_assignee_id = :'ann' AS raw_recorded, actor_kind, reason
  FROM woes.assignments WHERE conversation_id = :'c2' ORDER BY id;
COMMIT;

-- who may: customers may not; agents may; another workspace cannot reach it
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT try_sql(format('SELECT woes.assign(%L, %L)', :'c2', :'ann')) AS customer;
SELECT count(*) AS customer_reads_history FROM woes.assignments;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT try_sql(format('SELECT woes.assign(%L, team => NULL, operator => %L)', :'c1', :'gus')) AS other_tenant;
SELECT count(*) AS other_tenant_sees FROM woes.assignments;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT woes.assign(:'c2', team => :'billing') AS agent_routes;
ROLLBACK;
-- the history cannot be forged or rewritten
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('INSERT INTO woes.assignments (workspace_id, conversation_id, actor_kind) VALUES (%L, %L, %L)',
                      :'acme', :'c1', 'system')) AS forge;
SELECT try_sql('UPDATE woes.assignments SET reason = ''x''') AS rewrite;
SELECT try_sql('DELETE FROM woes.assignments') AS erase;
COMMIT;

-- removals keep the history: a team or an operator removed unassigns
-- their conversations, and the history stays
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT count(*) AS billing_history_before FROM woes.assignments WHERE to_team_id = :'billing';
DELETE FROM woes.team_members WHERE team_id = :'billing';
DELETE FROM woes.teams WHERE id = :'billing';
SELECT assignee_id = :'bea' AS still_bea, team_id IS NULL AS no_team FROM woes.conversations WHERE id = :'c1';
SELECT count(*) AS billing_history_after FROM woes.assignments WHERE to_team_id = :'billing';
SELECT from_team_id = :'billing' AS from_billing, to_team_id IS NULL AS to_none
  FROM woes.assignments WHERE conversation_id = :'c1' ORDER BY id DESC LIMIT 1;
DELETE FROM woes.operators WHERE id = :'bea';
SELECT assignee_id IS NULL AS unassigned FROM woes.conversations WHERE id = :'c1';
SELECT count(*) AS bea_history FROM woes.assignments WHERE :'bea' IN (from_assignee_id, to_assignee_id);
COMMIT;
RESET ROLE;

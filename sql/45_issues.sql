-- Linked issues: link_issue (idempotent, one issue per provider and key),
-- unlink_issue, set_issue_state (history, events per linked open
-- conversation), issue_impact, who may see and do what.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset
SELECT id AS carol FROM woes.contacts WHERE name = 'Carol' \gset
SET ROLE app;

BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.upsert_contact('api', 'issue-dave', 'Dave') AS dave \gset
SELECT woes.start_conversation(:'carol', 'api', 'export broken', 'The CSV export fails') AS c1 \gset
SELECT woes.start_conversation(:'carol', 'api', 'export again', 'Still failing') AS c2 \gset
SELECT woes.start_conversation(:'dave', 'api', 'export for dave', 'Export gives a 500') AS c3 \gset
SELECT woes.start_conversation(:'dave', 'api', 'login', 'Cannot log in') AS c4 \gset
COMMIT;

-- linking: the issue is recorded on first use; the same key again is the
-- same issue (provider in any case), the same link twice is one link
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.link_issue(:'c1', 'linear', 'ENG-42', 'https://linear.app/acme/issue/ENG-42', 'CSV export fails') AS eng42 \gset
SELECT woes.link_issue(:'c1', 'linear', 'ENG-42') = :'eng42' AS same_link_again;
SELECT woes.link_issue(:'c2', 'Linear', ' ENG-42 ') = :'eng42' AS same_issue;
SELECT woes.link_issue(:'c3', 'linear', 'ENG-42', title => 'CSV export returns 500') = :'eng42' AS title_refreshed;
SELECT woes.link_issue(:'c4', 'github', 'acme/app#7') AS gh7 \gset
SELECT woes.link_issue(:'c3', 'jira', 'OPS-1') AS ops1 \gset
SELECT provider, external_key, url, title, state FROM woes.issues ORDER BY provider, external_key;
SELECT i.external_key, count(*) AS links FROM woes.conversation_issues l
  JOIN woes.issues i ON i.workspace_id = l.workspace_id AND i.id = l.issue_id
 GROUP BY i.external_key ORDER BY 1;
COMMIT;

-- bad input
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', :'c1', 'Lin ear', 'X-1')) AS bad_provider;
SELECT try_sql(format('SELECT woes.link_issue(%L, NULL, %L)', :'c1', 'X-1')) AS null_provider;
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', :'c1', 'linear', '')) AS empty_key;
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L, %L)', :'c1', 'linear', 'X-1', 'javascript:alert(1)')) AS bad_url;
SELECT try_sql(format('SELECT woes.link_issue(NULL, %L, %L)', 'linear', 'X-1')) AS null_conversation;
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', '01a00000-0000-7000-8000-000000000001', 'linear', 'X-1')) AS unknown_conversation;
SELECT try_sql(format('SELECT woes.set_issue_state(%L, %L)', :'eng42', 'shipped')) AS bad_state;
SELECT try_sql(format('SELECT woes.set_issue_state(%L, %L)', '01a00000-0000-7000-8000-000000000001', 'done')) AS unknown_issue;
SELECT regexp_replace(try_sql('UPDATE woes.issues SET state = ''shipped'''), '_[0-9]{6,}\M', '') AS raw_bad_state;
SELECT try_sql(format('UPDATE woes.issues SET external_key = ''ENG-43'' WHERE id = %L', :'eng42')) AS rekey;
SELECT count(*) AS issues FROM woes.issues;
COMMIT;

-- impact: per issue, the conversations (open and in all), customers, when
-- first and last linked, the oldest open one
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.resolve(:'c2');
SELECT created_at AS c1_created FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'c1' \gset
SELECT external_key, state, conversations_total, conversations_open, customers, customers_open,
       first_linked_at <= last_linked_at AS ordered, oldest_open_since = :'c1_created' AS oldest_is_c1
  FROM woes.issue_impact WHERE workspace_id = :'acme' ORDER BY customers DESC, external_key;
COMMIT;

-- a state change: recorded, one issue event, one event per linked
-- conversation still open (c2 is resolved: none for it); the same state
-- again changes nothing
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.set_issue_state(:'eng42', 'in_progress', 'In Progress') AS started;
SELECT woes.set_issue_state(:'eng42', 'done', 'Done') AS shipped;
SELECT woes.set_issue_state(:'eng42', 'done') AS same_again;
SELECT state, provider_state FROM woes.issues WHERE id = :'eng42';
SELECT from_state, to_state, provider_state, actor_kind, actor_id = :'ann' AS by_ann
  FROM woes.issue_state_events WHERE issue_id = :'eng42' ORDER BY id;
SELECT e.kind, e.conversation_id IS NULL AS no_conversation,
       CASE e.conversation_id WHEN :'c1' THEN 'c1' WHEN :'c2' THEN 'c2' WHEN :'c3' THEN 'c3' END AS conversation,
       e.payload->>'from' AS "from", e.payload->>'to' AS "to", e.payload->>'issue_id' = :'eng42' AS names_issue
  FROM woes.events e
 WHERE e.kind IN ('issue.state_changed', 'conversation.issue_state_changed') ORDER BY e.id;
-- a raw UPDATE of the state is recorded the same way
UPDATE woes.issues SET state = 'canceled' WHERE id = :'gh7';
SELECT to_state FROM woes.issue_state_events WHERE issue_id = :'gh7';
SELECT count(*) AS gh7_events FROM woes.events
 WHERE kind = 'conversation.issue_state_changed' AND payload->>'issue_id' = :'gh7';
COMMIT;

-- only admins remove an issue (its history goes with it): an operator's
-- DELETE removes nothing
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
DELETE FROM woes.issues WHERE id = :'gh7';
SELECT count(*) AS gh7_kept FROM woes.issues WHERE workspace_id = :'acme' AND id = :'gh7';
SELECT count(*) AS history_kept FROM woes.issue_state_events WHERE workspace_id = :'acme' AND issue_id = :'gh7';
COMMIT;

-- unlink: idempotent; the link events
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.unlink_issue(:'c3', :'ops1') AS unlinked;
SELECT woes.unlink_issue(:'c3', :'ops1') AS unlinked_again;
SELECT e.kind, count(*) FROM woes.events e
 WHERE e.kind LIKE 'conversation.issue_%linked' GROUP BY e.kind ORDER BY e.kind;
SELECT external_key, conversations_total FROM woes.issue_impact WHERE workspace_id = :'acme' AND issue_id = :'ops1';
COMMIT;

-- who sees what: agents and analysts read; agents do not link; customers
-- see nothing; another workspace neither reads nor links acme's
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT count(*) > 0 AS agent_reads FROM woes.issues;
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', :'c1', 'linear', 'ENG-99')) AS agent_links;
SELECT try_sql(format('SELECT woes.set_issue_state(%L, %L)', :'eng42', 'open')) AS agent_reopens;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT (SELECT count(*) FROM woes.issues) AS issues_seen, (SELECT count(*) FROM woes.conversation_issues) AS links_seen,
       (SELECT count(*) FROM woes.issue_state_events) AS history_seen, (SELECT count(*) FROM woes.issue_impact) AS impact_seen;
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', :'c1', 'linear', 'ENG-99')) AS customer_links;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversation_issues (conversation_id, issue_id) VALUES (%L, %L)', :'c1', :'gh7')), '_[0-9]{6,}\M', '') AS customer_raw;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS globex_sees FROM woes.issue_impact WHERE workspace_id = :'acme';
SELECT try_sql(format('SELECT woes.link_issue(%L, %L, %L)', :'c1', 'linear', 'ENG-42')) AS globex_links_acme;
SELECT try_sql(format('SELECT woes.set_issue_state(%L, %L)', :'eng42', 'open')) AS globex_state;
SELECT try_sql(format('INSERT INTO woes.conversation_issues (workspace_id, conversation_id, issue_id) VALUES (%L, %L, %L)',
                      :'acme', :'c1', :'gh7')) AS globex_raw;
-- globex's ENG-42 is its own issue
SELECT woes.link_issue(woes.start_conversation(woes.upsert_contact('api', 'issue-greta', 'Greta'), 'api', 'export'),
                       'linear', 'ENG-42') <> :'eng42' AS own_issue;
COMMIT;
RESET ROLE;

-- Redaction and erasure through the coordinator, and what each audience
-- reads afterwards; role bindings.
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS vera FROM woes.contacts WHERE name = 'Vera' \gset
SELECT id AS hello FROM woes.messages WHERE body = 'hello' AND workspace_id = :'acme' \gset

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.redact_message(:'hello', 'pasted a card number');
SELECT woes.redact_message(:'hello', 'again: a no-op');
SELECT body IS NULL AS gone, redaction_reason FROM woes.operator_messages WHERE id = :'hello';
COMMIT;
-- another workspace cannot redact it
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
\set VERBOSITY sqlstate
SELECT woes.redact_message(:'hello', 'not yours');
\set VERBOSITY terse
ROLLBACK;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'vera');
SELECT author_kind, body, redacted FROM woes.customer_messages ORDER BY created_at, id;
COMMIT;

-- erasure: the contact's words, name and identities go; the thread keys too
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.erase_contact(:'vera');
COMMIT;
RESET ROLE;
SELECT name, email, erased_at IS NOT NULL AS erased FROM woes.contacts WHERE id = :'vera';
SELECT count(*) AS identities FROM woes.identities WHERE contact_id = :'vera';
SELECT count(*) FILTER (WHERE body IS NOT NULL) AS customer_bodies_left
  FROM woes.messages WHERE author_kind = 'customer' AND author_id = :'vera';
SELECT count(*) AS thread_keys_left
  FROM woes.thread_refs r JOIN woes.conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
 WHERE c.contact_id = :'vera';
-- a new message on the old thread starts afresh: a new contact
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'back again', 'm-100') IS NOT NULL AS received;
SELECT count(*) AS contacts_named_visitor FROM woes.identities WHERE external_id = 'visitor-1';
COMMIT;
RESET ROLE;

-- a role bound to a workspace reads it, on the workers too
CREATE ROLE bi_acme LOGIN IN ROLE woes_analyst;
SET ROLE boss;
SELECT woes.bind_role('bi_acme', :'acme', 'analyst');
RESET ROLE;
\c - bi_acme
SELECT current_setting('woes.audience') AS audience, (SELECT slug FROM woes_bi.workspace) AS bound_to;
SELECT count(*) > 0 AS reads_history, count(DISTINCT workspace_id) AS workspaces FROM woes_bi.status_changes;
-- its grant on conversations is by column, which woes.distribute() gives
-- the shards (Citus does not): woes_bi reads the columns it may read
SELECT count(*) > 0 AS reads_conversations, count(DISTINCT workspace_id) AS workspaces
  FROM woes_bi.conversation_metrics;
-- on a cluster analysts have USAGE on schema woes (woes.distribute() grants
-- it: the shard queries of woes_bi name the shards, as the analyst), and
-- still no subject and no message
SELECT has_schema_privilege('woes', 'USAGE') AS uses_woes;
\set VERBOSITY sqlstate
SELECT subject FROM woes.conversations LIMIT 1;
SELECT count(*) FROM woes.messages;
\set VERBOSITY terse
\c - postgres
-- removing staff on the shards: a team and an operator that conversations
-- refer to are cleared from them first (the trigger fires on the shard)
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.add_team('Short-lived') AS team \gset
SELECT woes.add_operator('Temp', 'temp@acme.test') AS temp \gset
SELECT woes.add_team_member(:'team', :'temp') IS NOT NULL AS member;
UPDATE woes.conversations SET team_id = :'team', assignee_id = :'temp' WHERE number = 4;
DELETE FROM woes.teams WHERE id = :'team' RETURNING name;
DELETE FROM woes.operators WHERE id = :'temp' RETURNING name;
SELECT team_id IS NULL AS no_team, assignee_id IS NULL AS no_assignee FROM woes.conversations WHERE number = 4;
ROLLBACK;
RESET ROLE;

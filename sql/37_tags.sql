-- Tags: definitions (unique by name, case-insensitive), tag/untag
-- (idempotent, defining on first use unless the workspace requires
-- predefined tags), events, rename, who may see and do what.
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
SELECT woes.start_conversation(:'carol', 'api', 'tags one') AS c1 \gset
SELECT woes.start_conversation(:'carol', 'api', 'tags two') AS c2 \gset
-- a definition with colour and description; the same name in another case is the same tag
SELECT woes.define_tag('Billing', '#ff8800', 'Invoices and payments') AS billing \gset
SELECT woes.define_tag('billing') = :'billing' AS same_tag;
COMMIT;

-- tagging: by name, any case; the same tag twice is one tag and one event
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.tag(:'c1', 'BILLING') AS added;
SELECT woes.tag(:'c1', 'billing') AS again;
-- a new name defines the tag on first use
SELECT woes.tag(:'c1', 'Refund') AS new_name;
SELECT woes.tag(:'c2', 'refund') AS other_conversation;
SELECT t.name, t.color, t.description, count(ct.conversation_id) AS conversations
  FROM woes.tags t LEFT JOIN woes.conversation_tags ct ON ct.workspace_id = t.workspace_id AND ct.tag_id = t.id
 GROUP BY t.name, t.color, t.description ORDER BY 1;
COMMIT;

-- an agent tags too (and defines by tagging)
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT woes.tag(:'c2', 'Urgent') AS agent_tagged;
SELECT try_sql('SELECT woes.define_tag(''Direct'')') AS agent_defines_directly;
SELECT try_sql('UPDATE woes.tags SET name = ''Hijacked''') AS agent_renames;
SELECT count(*) AS renamed FROM woes.tags WHERE name = 'Hijacked';
COMMIT;

-- untag: idempotent; an unknown name removes nothing
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.untag(:'c1', 'refund') AS removed;
SELECT woes.untag(:'c1', 'refund') AS removed_again;
SELECT woes.untag(:'c1', 'never defined') AS unknown;
COMMIT;

-- the outbox: one event per change, the tag's id, never its name
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT e.kind, t.name AS tag, e.payload->>'actor_kind' AS actor_kind, e.payload ? 'name' AS names_it
  FROM woes.events e JOIN woes.tags t ON t.workspace_id = e.workspace_id AND t.id = (e.payload->>'tag_id')::uuid
 WHERE e.conversation_id IN (:'c1', :'c2') AND e.kind LIKE 'conversation.%tagged'
 ORDER BY e.id;
COMMIT;

-- a rename touches no conversation: the tag keeps its id
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
UPDATE woes.tags SET name = 'Payments' WHERE id = :'billing';
SELECT t.name FROM woes.conversation_tags ct JOIN woes.tags t ON t.workspace_id = ct.workspace_id AND t.id = ct.tag_id
 WHERE ct.conversation_id = :'c1';
-- the inbox shows the tags' names, alphabetical
SELECT subject, tags FROM woes.inbox WHERE id IN (:'c1', :'c2') ORDER BY subject;
-- names stay unique, case-insensitive (errors that name a relation are
-- shown without a Citus shard's suffix, so that both read the same)
SELECT regexp_replace(try_sql('UPDATE woes.tags SET name = ''URGENT'' WHERE name = ''Payments'''), '_[0-9]{6,}\M', '') AS duplicate_name;
SELECT regexp_replace(try_sql('INSERT INTO woes.tags (name) VALUES (''payments'')'), '_[0-9]{6,}\M', '') AS duplicate_insert;
COMMIT;

-- bad input
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('SELECT woes.tag(%L, %L)', :'c1', '')) AS empty_name;
SELECT try_sql(format('SELECT woes.tag(%L, %L)', :'c1', repeat('x', 101))) AS long_name;
SELECT try_sql(format('SELECT woes.tag(%L, NULL)', :'c1')) AS null_name;
SELECT try_sql('SELECT woes.tag(NULL, ''x'')') AS null_conversation;
SELECT try_sql(format('SELECT woes.tag(%L, %L)', '01a00000-0000-7000-8000-000000000001', 'x')) AS unknown_conversation;
SELECT try_sql('SELECT woes.define_tag(''Colour'', ''orange'')') AS bad_colour;
COMMIT;

-- a workspace may require predefined tags
RESET ROLE;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
UPDATE woes.workspaces SET settings = settings || '{"require_predefined_tags": true}' WHERE id = :'acme';
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('SELECT woes.tag(%L, %L)', :'c1', 'Brand new')) AS undefined;
SELECT woes.tag(:'c1', 'urgent') AS predefined_still_works;
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
UPDATE woes.workspaces SET settings = settings - 'require_predefined_tags' WHERE id = :'acme';
COMMIT;

-- customers see no tags, not even through their own conversation; another
-- workspace sees none and cannot tag acme's conversations
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(*) AS customer_tags FROM woes.tags;
SELECT count(*) AS customer_conversation_tags FROM woes.conversation_tags;
SELECT try_sql(format('SELECT woes.tag(%L, %L)', :'c1', 'x')) AS customer_tags_it;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversation_tags (conversation_id, tag_id) VALUES (%L, %L)', :'c1', :'billing')), '_[0-9]{6,}\M', '') AS customer_raw;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS globex_sees FROM woes.tags WHERE workspace_id = :'acme';
SELECT try_sql(format('SELECT woes.tag(%L, %L)', :'c1', 'x')) AS globex_tags_acme;
SELECT try_sql(format('INSERT INTO woes.conversation_tags (workspace_id, conversation_id, tag_id) VALUES (%L, %L, %L)',
                      :'acme', :'c1', :'billing')) AS globex_raw;
-- globex's own tag of the same name is another tag
SELECT woes.define_tag('Payments') <> :'billing' AS own_tag;
COMMIT;

-- removing a definition untags every conversation (with events)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
DELETE FROM woes.tags WHERE id = :'billing';
SELECT count(*) AS left_tagged FROM woes.conversation_tags WHERE tag_id = :'billing';
SELECT count(*) AS untag_events FROM woes.events
 WHERE kind = 'conversation.untagged' AND payload->>'tag_id' = :'billing';
COMMIT;
RESET ROLE;

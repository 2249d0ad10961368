-- Macros: definition (shape and references checked), apply (in order, all
-- or nothing, with the caller's own rights, returning what each action
-- did), errors naming the failing action, who may see and do what.
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
SELECT woes.add_team('Macro desk') AS desk \gset
SELECT woes.add_team_member(:'desk', :'ann') IS NOT NULL AS member;
SELECT woes.define_field('cause', 'select', '["bug", "question", "duplicate"]');
SELECT woes.start_conversation(:'carol', 'api', 'macro one', 'It crashes') AS c1 \gset
SELECT woes.start_conversation(:'carol', 'api', 'macro two', 'Same crash') AS c2 \gset
COMMIT;

-- a macro with every kind of action
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.define_macro('Known bug', jsonb_build_array(
    jsonb_build_object('action', 'note', 'body', 'Known bug: see the incident.'),
    jsonb_build_object('action', 'tag', 'tag', 'Known bug'),
    jsonb_build_object('action', 'set_field', 'key', 'cause', 'value', 'bug'),
    jsonb_build_object('action', 'assign', 'operator', :'ann', 'team', :'desk'),
    jsonb_build_object('action', 'reply', 'body', 'We know about this and are fixing it.'),
    jsonb_build_object('action', 'transition', 'status', 'resolved', 'reason', 'known bug')),
    'Answer and close a known bug') AS known_bug \gset
SELECT name, jsonb_array_length(actions) AS actions, description FROM woes.macros;
-- the same name in another case replaces the actions, keeping the id
SELECT woes.define_macro('KNOWN BUG', (SELECT actions FROM woes.macros WHERE id = :'known_bug')) = :'known_bug' AS same_macro;
COMMIT;

-- apply: every action, in order; the result says what each did
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT jsonb_path_query(woes.apply_macro(:'c1', 'known bug'), '$[*]') - 'message_id' AS did;
SELECT i.status, i.assignee_id = :'ann' AS to_ann, i.team_id = :'desk' AS to_desk, i.tags
  FROM woes.inbox i WHERE i.workspace_id = :'acme' AND i.id = :'c1';
SELECT woes.fields(:'c1') AS fields;
SELECT author_kind, visibility, body FROM woes.messages WHERE conversation_id = :'c1' ORDER BY created_at, id;
SELECT reason FROM woes.status_events WHERE conversation_id = :'c1' ORDER BY id DESC LIMIT 1;
SELECT reason FROM woes.assignments WHERE conversation_id = :'c1' ORDER BY id DESC LIMIT 1;
-- applied again: the reply and note again, nothing else changes
SELECT woes.reopen(:'c1');
SELECT jsonb_path_query(woes.apply_macro(:'c1', :'known_bug'), '$[*]') - 'message_id' AS again;
COMMIT;

-- all or nothing: a failing action undoes the ones before it, and the
-- error names the macro, the action and why
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.define_macro('Snooze for Gus', '[{"action": "tag", "tag": "Waiting"},
    {"action": "transition", "status": "snoozed", "snooze_for": "2 days"},
    {"action": "assign", "operator": "01a00000-0000-7000-8000-000000000001"}]') AS bad_ref;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
-- references are checked when it runs, too (a raw write skips define_macro)
INSERT INTO woes.macros (name, actions) VALUES ('Snooze for nobody', jsonb_build_array(
    jsonb_build_object('action', 'tag', 'tag', 'Waiting'),
    jsonb_build_object('action', 'transition', 'status', 'snoozed', 'snooze_for', '2 days'),
    jsonb_build_object('action', 'assign', 'operator', :'gus')));
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c2', 'snooze for nobody')) AS failing_action;
SELECT i.status, i.assignee_id IS NULL AS unassigned, i.tags
  FROM woes.inbox i WHERE i.workspace_id = :'acme' AND i.id = :'c2';
SELECT woes.fields(:'c2') AS fields;
SELECT count(*) AS events_left FROM woes.events WHERE conversation_id = :'c2' AND kind = 'conversation.tagged';
-- a failing API call keeps its SQLSTATE, detail and hint
SELECT woes.define_macro('Pending', '[{"action": "transition", "status": "pending"}]') IS NOT NULL AS pending_macro;
SELECT woes.close(:'c2');
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT woes.apply_macro(:'c2', 'pending');
\set VERBOSITY terse
\set SHOW_CONTEXT errors
COMMIT;

-- bad definitions, each error naming the action
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql('SELECT woes.define_macro(''x'', ''{"action": "reply"}'')') AS not_array;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[]'')') AS empty;
SELECT try_sql(format('SELECT woes.define_macro(''x'', %L)', (SELECT jsonb_agg('{"action": "note", "body": "n"}'::jsonb) FROM generate_series(1, 51)))) AS too_many;
SELECT try_sql('SELECT woes.define_macro(''x'', ''["reply"]'')') AS not_object;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "delete"}]'')') AS unknown_action;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "reply", "body": "hi", "visibility": "internal"}]'')') AS unknown_argument;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "tag", "tag": "a"}, {"action": "reply"}]'')') AS reply_without_body;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "note", "body": "  "}]'')') AS blank_note;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "tag", "tag": ""}]'')') AS empty_tag;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "assign"}]'')') AS assign_nobody;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "assign", "operator": "ann"}]'')') AS assign_not_uuid;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "route"}]'')') AS route_without_team;
SELECT try_sql(format('SELECT woes.define_macro(''x'', %L)', jsonb_build_array(jsonb_build_object('action', 'route', 'team', :'ann')))) AS route_to_operator_id;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "set_field", "key": "cause"}]'')') AS field_without_value;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "set_field", "key": "nope", "value": 1}]'')') AS unknown_field;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "set_field", "key": "cause", "value": "feature"}]'')') AS invalid_field_value;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "transition", "status": "done"}]'')') AS bad_status;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "transition", "status": "snoozed"}]'')') AS snooze_without_time;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "transition", "status": "open", "snooze_for": "1 day"}]'')') AS time_without_snooze;
SELECT try_sql('SELECT woes.define_macro(''x'', ''[{"action": "transition", "status": "snoozed", "snooze_for": "tomorrow"}]'')') AS bad_duration;
SELECT try_sql('SELECT woes.define_macro('''', ''[{"action": "note", "body": "n"}]'')') AS empty_name;
SELECT try_sql(format('SELECT woes.define_macro(''x'', ''[{"action": "note", "body": "n"}]'', %L)', repeat('d', 1001))) AS long_description;
-- the raw path is held to the same shape
SELECT try_sql('INSERT INTO woes.macros (name, actions) VALUES (''raw'', ''[{"action": "drop_table"}]'')') AS raw_insert;
SELECT try_sql('UPDATE woes.macros SET actions = ''{}'' WHERE lower(name) = ''known bug''') AS raw_update;
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c2', 'no such macro')) AS unknown_macro;
SELECT try_sql(format('SELECT woes.apply_macro(NULL, %L)', 'Known bug')) AS null_conversation;
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', '01a00000-0000-7000-8000-000000000001', 'Known bug')) AS unknown_conversation;
SELECT count(*) AS macros FROM woes.macros;
COMMIT;

-- a macro never lets a role do what it could not do itself: agents and
-- customers cannot read or apply macros, and a macro's actions run with
-- the caller's rights (an operator's macro run by an agent is refused
-- before any action; a tag action by an agent would have been allowed)
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT count(*) AS agent_sees FROM woes.macros;
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c2', 'Known bug')) AS agent_applies;
SELECT try_sql('SELECT woes.define_macro(''Mine'', ''[{"action": "note", "body": "n"}]'')') AS agent_defines;
SELECT regexp_replace(try_sql('INSERT INTO woes.macros (name, actions) VALUES (''Mine'', ''[{"action": "note", "body": "n"}]'')'), '_[0-9]{6,}\M', '') AS agent_raw;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(*) AS customer_sees FROM woes.macros;
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c1', 'Known bug')) AS customer_applies;
COMMIT;
-- another workspace: its macros are its own; acme's conversation is not found
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS globex_sees FROM woes.macros WHERE workspace_id = :'acme';
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c1', 'Known bug')) AS globex_applies_acme;
SELECT woes.define_macro('Known bug', '[{"action": "note", "body": "globex''s own"}]') <> :'known_bug' AS own_macro;
SELECT try_sql(format('SELECT woes.apply_macro(%L, %L)', :'c1', 'Known bug')) AS own_macro_on_acme;
SELECT try_sql(format('UPDATE woes.macros SET name = ''Stolen'' WHERE id = %L', :'known_bug')) AS globex_update;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT name FROM woes.macros ORDER BY name;
SELECT woes.drop_field('cause', unset => true) AS cleanup;
COMMIT;
RESET ROLE;

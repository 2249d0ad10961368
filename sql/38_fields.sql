-- Typed custom fields: definitions, values validated on every write path
-- (set_field, raw INSERT and UPDATE), required fields on resolve,
-- definition changes that would invalidate stored values, events, who may
-- see and do what.
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

-- definitions of every type
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.define_field('order_ref', 'text');
SELECT woes.define_field('seats', 'number');
SELECT woes.define_field('vip', 'boolean');
SELECT woes.define_field('renewal', 'date');
SELECT woes.define_field('priority', 'select', '["low", "normal", "high"]', true);
SELECT woes.define_field('areas', 'multi_select', '["billing", "login", "api"]');
SELECT key, type, options, required FROM woes.field_definitions ORDER BY key;
SELECT woes.start_conversation(:'carol', 'api', 'fields one') AS c1 \gset
SELECT woes.start_conversation(:'carol', 'api', 'fields two') AS c2 \gset
COMMIT;

-- bad definitions
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql('SELECT woes.define_field(''Bad Key'', ''text'')') AS bad_key;
SELECT try_sql('SELECT woes.define_field(NULL, ''text'')') AS null_key;
SELECT try_sql('SELECT woes.define_field(''k'', ''colour'')') AS bad_type;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'')') AS select_without_options;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'', ''[]'')') AS select_empty_options;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'', ''{"a": 1}'')') AS options_not_array;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'', ''["a", 1]'')') AS option_not_string;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'', ''["a", "a"]'')') AS option_twice;
SELECT try_sql('SELECT woes.define_field(''k'', ''select'', ''[" a"]'')') AS option_spaces;
SELECT try_sql('SELECT woes.define_field(''k'', ''text'', ''["a"]'')') AS text_with_options;
-- the raw path is held to the same rules
SELECT try_sql('INSERT INTO woes.field_definitions (key, type) VALUES (''k'', ''multi_select'')') AS raw_no_options;
SELECT regexp_replace(try_sql('INSERT INTO woes.field_definitions (key, type) VALUES (''seats'', ''text'')'), '_[0-9]{6,}\M', '') AS raw_duplicate_key;
-- keys are immutable
SELECT try_sql('UPDATE woes.field_definitions SET key = ''seat_count'' WHERE key = ''seats''') AS rename_key;
SELECT count(*) AS defined FROM woes.field_definitions;
COMMIT;

-- set_field: valid values of every type; same value again changes nothing
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.set_field(:'c1', 'order_ref', '"A-1001"') AS text_set;
SELECT woes.set_field(:'c1', 'seats', '25') AS number_set;
SELECT woes.set_field(:'c1', 'vip', 'true') AS boolean_set;
SELECT woes.set_field(:'c1', 'renewal', '"2027-02-28"') AS date_set;
SELECT woes.set_field(:'c1', 'priority', '"high"') AS select_set;
SELECT woes.set_field(:'c1', 'areas', '["login", "api"]') AS multi_set;
SELECT woes.set_field(:'c1', 'seats', '25') AS same_again;
SELECT woes.set_field(:'c1', 'seats', '30') AS changed;
SELECT woes.fields(:'c1');
COMMIT;

-- invalid values: each error names the field and the reason
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'nope', '"x"')) AS unknown_field;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'order_ref', '42')) AS text_wrong_type;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'order_ref', to_jsonb(repeat('x', 10001)))) AS text_too_long;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'seats', '"25"')) AS number_as_string;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'vip', '"yes"')) AS boolean_as_string;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'renewal', '"2027-02-30"')) AS no_such_day;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'renewal', '"28/02/2027"')) AS date_format;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'renewal', '"0000-01-01"')) AS year_zero;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'priority', '"urgent"')) AS not_an_option;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'priority', '["high"]')) AS select_as_array;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'areas', '"api"')) AS multi_as_string;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'areas', '["api", "api"]')) AS multi_twice;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'areas', '["api", "sso"]')) AS multi_not_an_option;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c2', 'areas', '["api", 3]')) AS multi_not_strings;
SELECT try_sql(format('SELECT woes.set_field(NULL, %L, %L)', 'seats', '1')) AS null_conversation;
-- the rule itself: a select field without valid options admits nothing
SELECT woes.field_problem('select', NULL, '"a"') AS no_options, woes.field_problem('multi_select', '{a,NULL}', '["a"]') AS null_option;
SELECT try_sql(format('SELECT woes.set_field(%L, NULL, %L)', :'c2', '1')) AS null_key;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', '01a00000-0000-7000-8000-000000000001', 'seats', '1')) AS unknown_conversation;
SELECT count(*) AS c2_values FROM woes.conversation_fields WHERE conversation_id = :'c2';
COMMIT;

-- the raw paths: an INSERT or UPDATE smuggling an invalid value is refused
-- with the same error; key columns are frozen
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('INSERT INTO woes.conversation_fields (conversation_id, key, value) VALUES (%L, %L, %L)',
                      :'c2', 'priority', '"urgent"')) AS raw_insert;
SELECT try_sql(format('INSERT INTO woes.conversation_fields (conversation_id, key, value) VALUES (%L, %L, %L)',
                      :'c2', 'nope', '1')) AS raw_insert_unknown;
SELECT try_sql(format('INSERT INTO woes.conversation_fields (conversation_id, key, value) VALUES (%L, %L, %L)',
                      :'c2', 'seats', 'null')) AS raw_json_null;
SELECT try_sql('UPDATE woes.conversation_fields SET value = ''"urgent"'' WHERE key = ''priority''') AS raw_update;
SELECT try_sql('UPDATE woes.conversation_fields SET value = ''{"x": 1}'' WHERE key = ''seats''') AS raw_update_object;
SELECT try_sql('UPDATE woes.conversation_fields SET key = ''vip'' WHERE key = ''seats''') AS raw_rekey;
SELECT try_sql(format('UPDATE woes.conversation_fields SET conversation_id = %L WHERE key = ''seats''', :'c2')) AS raw_move;
SELECT woes.fields(:'c1');
COMMIT;

-- unset: NULL, JSON null, an empty selection; unsetting what is not set changes nothing
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.set_field(:'c1', 'vip', NULL) AS unset_null;
SELECT woes.set_field(:'c1', 'renewal', 'null') AS unset_json_null;
SELECT woes.set_field(:'c1', 'areas', '[]') AS unset_empty;
SELECT woes.set_field(:'c1', 'vip', NULL) AS unset_again;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, NULL)', :'c1', 'nope')) AS unset_unknown;
SELECT woes.fields(:'c1');
COMMIT;

-- required fields: resolving needs them, on every path; the error names the
-- conversation by number and each missing field
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.define_field('product', 'select', '["cloud", "server"]', true);
SELECT regexp_replace(try_sql(format('SELECT woes.resolve(%L)', :'c2')), 'conversation [0-9]+', 'conversation <number>') AS resolve_two_missing;
SELECT regexp_replace(try_sql(format('UPDATE woes.conversations SET status = ''resolved'' WHERE id = %L', :'c2')), 'conversation [0-9]+', 'conversation <number>') AS raw_resolve;
-- a new conversation cannot start resolved past them either (only a
-- blocked contact's starts resolved, by rule)
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversations (contact_id, channel, subject, status) VALUES (%L, %L, %L, %L)',
                      :'carol', 'api', 'born resolved', 'resolved')), 'conversation [0-9]+', 'conversation <number>') AS born_resolved;
SELECT woes.set_field(:'c2', 'priority', '"low"');
SELECT regexp_replace(try_sql(format('SELECT woes.resolve(%L)', :'c2')), 'conversation [0-9]+', 'conversation <number>') AS resolve_one_missing;
SELECT woes.set_field(:'c2', 'product', '"cloud"');
SELECT woes.resolve(:'c2') AS resolved;
-- a resolved conversation keeps its required fields; other fields come and go
SELECT try_sql(format('SELECT woes.set_field(%L, %L, NULL)', :'c2', 'product')) AS unset_required;
SELECT try_sql(format('DELETE FROM woes.conversation_fields WHERE conversation_id = %L AND key = ''product''', :'c2')) AS raw_unset_required;
SELECT woes.set_field(:'c2', 'product', '"server"') AS change_required;
SELECT woes.set_field(:'c2', 'seats', '3') AS set_optional;
SELECT woes.set_field(:'c2', 'seats', NULL) AS unset_optional;
-- closing needs no fields (spam, duplicates): only resolving does
SELECT woes.close(woes.start_conversation(:'carol', 'api', 'spam')) AS closed_without_fields;
-- a required field made optional no longer blocks
SELECT woes.reopen(:'c2');
SELECT woes.set_field(:'c2', 'product', NULL) AS unset_when_open;
SELECT woes.define_field('product', 'select', '["cloud", "server"]', false);
SELECT woes.resolve(:'c2') AS resolved_again;
COMMIT;

-- definition changes: refused where a stored value would become invalid
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql('SELECT woes.define_field(''priority'', ''select'', ''["normal", "high"]'', true)') AS remove_used_option;
SELECT woes.define_field('priority', 'select', '["low", "normal", "high", "urgent"]', true) AS add_option;
SELECT woes.define_field('priority', 'select', '["low", "high", "urgent"]', true) AS remove_unused_option;
SELECT try_sql('SELECT woes.define_field(''seats'', ''text'')') AS change_type_in_use;
SELECT try_sql('UPDATE woes.field_definitions SET options = ''{low}'' WHERE key = ''priority''') AS raw_remove_option;
SELECT woes.define_field('renewal', 'text') AS change_unused_type;
SELECT woes.set_field(:'c2', 'areas', '["api"]') AS set_on_resolved;
SELECT try_sql('SELECT woes.define_field(''areas'', ''select'', ''["billing", "login", "api"]'')') AS multi_to_select_in_use;
SELECT key, type, options, required FROM woes.field_definitions WHERE key IN ('priority', 'renewal') ORDER BY key;
COMMIT;
-- a type or options change needs READ COMMITTED
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql('SELECT woes.define_field(''renewal'', ''date'')') AS repeatable_read;
SELECT woes.define_field('seats', 'number', NULL, false) AS same_definition_is_fine;
COMMIT;

-- removing a field: refused while values exist, unless they are unset too
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql('SELECT woes.drop_field(''seats'')') AS drop_in_use;
SELECT try_sql('DELETE FROM woes.field_definitions WHERE key = ''seats''') AS raw_drop_in_use;
SELECT woes.drop_field('seats', unset => true) AS dropped_unsetting;
SELECT woes.drop_field('renewal') AS dropped_unused;
SELECT try_sql('SELECT woes.drop_field(''renewal'')') AS drop_unknown;
SELECT key FROM woes.field_definitions ORDER BY key;
COMMIT;

-- the outbox: one event per change, the key and whether it is set, never the value
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT e.payload->>'key' AS key, e.payload->>'set' AS set, e.payload->>'actor_kind' AS actor_kind,
       e.payload ? 'value' AS has_value
  FROM woes.events e
 WHERE e.conversation_id = :'c1' AND e.kind = 'conversation.field_changed'
 ORDER BY e.id;
-- the warehouse export carries the fields
SELECT conversation_id = :'c2' AS c2, custom_fields
  FROM woes.resolved_conversations(0, 1000) WHERE conversation_id = :'c2';
COMMIT;

-- agents read fields but do not set them; customers see nothing, not even
-- through their own conversation; another workspace neither reads nor writes
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT count(*) > 0 AS agent_reads FROM woes.conversation_fields;
SELECT woes.fields(:'c1') <> '{}' AS agent_reads_fields;
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c1', 'order_ref', '"B-2"')) AS agent_sets;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversation_fields (conversation_id, key, value) VALUES (%L, %L, %L)',
                      :'c1', 'vip', 'true')), '_[0-9]{6,}\M', '') AS agent_raw;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
-- a row of another workspace is refused before its field is looked up: the
-- error tells nothing of what that workspace defines
SELECT try_sql(format('INSERT INTO woes.conversation_fields (workspace_id, conversation_id, key, value) VALUES (%L, %L, %L, %L)',
                      :'globex', '01a00000-0000-7000-8000-000000000001', 'priority', '"x"')) AS customer_probes_globex;
SELECT try_sql(format('INSERT INTO woes.conversation_fields (workspace_id, conversation_id, key, value) VALUES (%L, %L, %L, %L)',
                      :'globex', '01a00000-0000-7000-8000-000000000001', 'nope', '1')) AS customer_probes_unknown;
SELECT count(*) AS customer_definitions FROM woes.field_definitions;
SELECT count(*) AS customer_values FROM woes.conversation_fields;
SELECT woes.fields(:'c1') AS customer_fields;
SELECT count(*) AS own_conversation_visible FROM woes.conversations WHERE id = :'c1';
SELECT count(*) AS custom_fields_column FROM information_schema.columns
 WHERE table_schema = 'woes' AND table_name = 'conversations' AND column_name = 'custom_fields';
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c1', 'order_ref', '"C-3"')) AS customer_sets;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversation_fields (conversation_id, key, value) VALUES (%L, %L, %L)',
                      :'c1', 'vip', 'true')), '_[0-9]{6,}\M', '') AS customer_raw;
SELECT try_sql('SELECT woes.define_field(''mine'', ''text'')') AS customer_defines;
COMMIT;
-- analysts read the definitions, never a conversation's value (in the
-- analyst audience no row; as a woes_analyst role no privilege)
BEGIN;
SELECT woes.set_context(:'acme', 'analyst');
SELECT (SELECT count(*) FROM woes.field_definitions) > 0 AS analyst_reads_definitions,
       (SELECT count(*) FROM woes.conversation_fields) AS analyst_values;
COMMIT;
-- ... and reach the values only in aggregate, through woes_bi: per field
-- (how many have a value; the range of a number or date field), and per
-- option of a select type or boolean; of a text field only how many.  (The
-- values are written in a transaction of their own: on Citus the
-- aggregates' SECURITY DEFINER function cannot read what the caller wrote
-- in the same transaction.)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.define_field('bi_seats', 'number') IS NOT NULL AS defined_number;
SELECT woes.define_field('bi_renewal', 'date') IS NOT NULL AS defined_date;
SELECT woes.set_field(:'c1', 'bi_seats', '25') AS number_set_1;
SELECT woes.set_field(:'c2', 'bi_seats', '5') AS number_set_2;
SELECT woes.set_field(:'c1', 'bi_renewal', '"2027-02-28"') AS date_set_1;
SELECT woes.set_field(:'c2', 'bi_renewal', '"2026-12-31"') AS date_set_2;
SELECT woes.set_field(:'c2', 'vip', 'false') AS boolean_set_2;
SELECT woes.set_field(:'c2', 'order_ref', '"B-2002"') AS text_set_2;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'analyst');
SELECT field_key, field_type, required, options, conversations, conversations_open,
       number_min, number_max, number_avg, number_sum, date_min, date_max
  FROM woes_bi.fields ORDER BY field_key;
SELECT field_option_id, field_key, field_type, option, conversations, conversations_open
  FROM woes_bi.field_options ORDER BY field_key, option;
-- no value of a text field anywhere in them
SELECT count(*) AS text_values_shown
  FROM (SELECT to_jsonb(f)::text AS t FROM woes_bi.fields f
        UNION ALL SELECT to_jsonb(o)::text FROM woes_bi.field_options o) x
 WHERE t LIKE '%A-1001%' OR t LIKE '%B-2002%';
-- globex's analysts see none of acme's fields; customers and agents nothing
SELECT woes.set_context(:'globex', 'analyst');
SELECT count(*) AS globex_sees_fields FROM woes_bi.fields;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(*) AS customer_sees_fields FROM woes_bi.fields;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT count(*) AS agent_sees_options FROM woes_bi.field_options;
COMMIT;
-- a woes_analyst role: no privilege on the values (nor USAGE on schema
-- woes); bound to acme, it reads the aggregates
RESET ROLE;
SET ROLE bi;
SELECT left(try_sql('SELECT count(*) FROM woes.conversation_fields'), 5) AS bi_reads_values;
RESET ROLE;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.bind_role('bi', :'acme', 'analyst') IS NOT NULL AS bound;
COMMIT;
RESET ROLE;
SELECT current_user AS su \gset
\c - bi
SELECT field_key, conversations FROM woes_bi.fields ORDER BY field_key;
SELECT field_option_id, conversations FROM woes_bi.field_options WHERE conversations > 0 ORDER BY 1;
\c - :su
SET search_path = public, woes;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.unbind_role('bi') AS unbound;
COMMIT;
RESET ROLE;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.drop_field('bi_seats', unset => true) AS unset_seats, woes.drop_field('bi_renewal', unset => true) AS unset_renewal;
SELECT woes.set_field(:'c2', 'vip', NULL) AS vip_unset, woes.set_field(:'c2', 'order_ref', NULL) AS order_ref_unset;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT count(*) AS globex_sees FROM woes.conversation_fields WHERE workspace_id = :'acme';
SELECT count(*) AS globex_sees_definitions FROM woes.field_definitions WHERE workspace_id = :'acme';
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c1', 'order_ref', '"G-1"')) AS globex_sets_acme;
SELECT try_sql(format('INSERT INTO woes.conversation_fields (workspace_id, conversation_id, key, value) VALUES (%L, %L, %L, %L)',
                      :'acme', :'c1', 'order_ref', '"G-1"')) AS globex_raw;
SELECT try_sql(format('UPDATE woes.conversation_fields SET value = ''"G-2"'' WHERE workspace_id = %L', :'acme')) AS globex_update;
-- globex's own field of the same key is another field, with its own type
SELECT woes.define_field('priority', 'number');
SELECT try_sql(format('SELECT woes.set_field(%L, %L, %L)', :'c1', 'priority', '1')) AS own_key_on_acme;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.fields(:'c1') AS unchanged;
-- the later files resolve acme's conversations: no field stays required
-- (the keys first: on Citus an API call cannot run inside a query of a shard)
SELECT array_agg(key ORDER BY key) AS keys FROM woes.field_definitions WHERE workspace_id = :'acme' \gset
SELECT k AS key, woes.drop_field(k, unset => true) AS unset FROM unnest(:'keys'::text[]) k;
COMMIT;
RESET ROLE;

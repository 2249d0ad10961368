-- Merging conversations: woes.merge(source, target) moves messages (ids
-- kept), participants, tags, issues and field values; closes the source
-- with a pointer; both histories and events; thread keys; who sees what
-- with one customer and with two; the refusals; the attacks.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;

SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset
SET ROLE app;
-- errors name conversations by number: shown here by their names in this file
CREATE TEMP TABLE names (number bigint, name text);
SET client_min_messages = error;    -- (Citus warns of a temporary function)
CREATE FUNCTION pg_temp.named(msg text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM pg_temp.names LOOP
        msg := regexp_replace(msg, '\m' || r.number || '\M', r.name, 'g');
    END LOOP;
    RETURN msg;
END $$;
RESET client_min_messages;

-- Mia writes twice about the same thing, in two chats; Noah once
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'merge-chat-1', 'merge-mia', 'My invoice is wrong', 'merge-m1', 'Mia') AS m1 \gset
SELECT woes.receive_message('live_chat', 'merge-chat-2', 'merge-mia', 'Hello? invoice still wrong', 'merge-m2', 'Mia') AS m2 \gset
SELECT woes.receive_message('live_chat', 'merge-chat-3', 'merge-noah', 'Invoice wrong for me too', 'merge-m3', 'Noah') AS m3 \gset
SELECT conversation_id AS a, contact_id AS mia FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m1' \gset
SELECT conversation_id AS b FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m2' \gset
SELECT conversation_id AS n, contact_id AS noah FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m3' \gset
SELECT number AS a_number FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'a' \gset
SELECT number AS b_number FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'b' \gset
SELECT number AS n_number FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'n' \gset
INSERT INTO pg_temp.names VALUES (:a_number, 'A'), (:b_number, 'B'), (:n_number, 'N');
-- the source has a reply, a note, a redacted message, tags, an issue, fields
SELECT woes.reply(:'a', 'Looking into it') AS r1 \gset
SELECT woes.add_note(:'a', 'billing bug?') AS note1 \gset
SELECT woes.receive_message('live_chat', 'merge-chat-1', 'merge-mia', 'my card is 4111...', 'merge-m4') AS m4 \gset
SELECT woes.redact_message(:'m4', 'card number');
SELECT woes.define_tag('billing') IS NOT NULL AS tag_defined;
SELECT woes.define_tag('vip') IS NOT NULL AS tag_defined;
SELECT woes.tag(:'a', 'billing'), woes.tag(:'a', 'vip'), woes.tag(:'b', 'billing');
SELECT woes.link_issue(:'a', 'linear', 'BILL-1') AS bill1 \gset
SELECT woes.link_issue(:'b', 'linear', 'BILL-2') AS bill2 \gset
SELECT woes.define_field('plan', 'select', '["free","pro"]') IS NOT NULL AS field_defined;
SELECT woes.define_field('order_ref', 'text') IS NOT NULL AS field_defined;
SELECT woes.set_field(:'a', 'plan', '"free"'), woes.set_field(:'a', 'order_ref', '"O-1"'), woes.set_field(:'b', 'plan', '"pro"');
-- the target is resolved: Mia's question in the source is still unanswered
SELECT woes.reply(:'b', 'Fixed, see your account') IS NOT NULL AS replied;
SELECT woes.resolve(:'b');
SELECT woes.receive_message('live_chat', 'merge-chat-1', 'merge-mia', 'any news?', 'merge-m5') AS m5 \gset
COMMIT;

-- the merge
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT max(id) AS before_merge FROM woes.events \gset
SELECT woes.merge(:'a', :'b', 'same invoice question');
-- every message moved, each with its id and customer
SELECT count(*) AS left_in_source FROM woes.messages WHERE workspace_id = :'acme' AND conversation_id = :'a';
SELECT CASE id WHEN :'m1' THEN 'm1' WHEN :'m2' THEN 'm2' WHEN :'r1' THEN 'r1' WHEN :'note1' THEN 'note1'
               WHEN :'m4' THEN 'm4' WHEN :'m5' THEN 'm5' ELSE 'other' END AS message,
       visibility, contact_id = :'mia' AS mias, redacted_at IS NOT NULL AS redacted
  FROM woes.messages WHERE workspace_id = :'acme' AND conversation_id = :'b' ORDER BY id;
-- the source: closed, pointing to the target; its history says why
SELECT status, merged_into_id = :'b' AS points_to_target FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'a';
SELECT from_status, to_status, reason, actor_kind FROM woes.status_events
 WHERE workspace_id = :'acme' AND conversation_id = :'a' ORDER BY id DESC LIMIT 1;
-- the target: reopened, since Mia still waits; her waiting time kept
SELECT status, waiting_since IS NOT NULL AS waiting, unanswered_count FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'b';
SELECT from_status, to_status, reason FROM woes.status_events
 WHERE workspace_id = :'acme' AND conversation_id = :'b' ORDER BY id DESC LIMIT 1;
-- the record of both
SELECT source_id = :'a' AS source, target_id = :'b' AS target, messages, actor_kind, actor_id = :'ann' AS by_ann, reason
  FROM woes.merges WHERE workspace_id = :'acme';
-- tags and issues: the union; fields: the target's value wins, the source fills gaps
SELECT t.name FROM woes.conversation_tags ct JOIN woes.tags t ON t.workspace_id = ct.workspace_id AND t.id = ct.tag_id
 WHERE ct.workspace_id = :'acme' AND ct.conversation_id = :'b' ORDER BY t.name;
SELECT count(*) AS source_tags FROM woes.conversation_tags WHERE workspace_id = :'acme' AND conversation_id = :'a';
SELECT i.external_key FROM woes.conversation_issues l JOIN woes.issues i ON i.workspace_id = l.workspace_id AND i.id = l.issue_id
 WHERE l.workspace_id = :'acme' AND l.conversation_id = :'b' ORDER BY 1;
SELECT external_key, conversations_total, conversations_open FROM woes.issue_impact
 WHERE workspace_id = :'acme' AND external_key LIKE 'BILL-%' ORDER BY 1;
SELECT woes.fields(:'b') AS target_fields, woes.fields(:'a') AS source_fields;
-- participants: Mia once
SELECT kind, count(*) FROM woes.participants WHERE workspace_id = :'acme' AND conversation_id = :'b' GROUP BY kind ORDER BY kind;
SELECT count(*) AS source_participants FROM woes.participants WHERE workspace_id = :'acme' AND conversation_id = :'a';
-- the events: one conversation.merged on each stream, with both ids
SELECT CASE conversation_id WHEN :'a' THEN 'a' WHEN :'b' THEN 'b' END AS stream, kind,
       payload->>'source_id' = :'a' AS source, payload->>'target_id' = :'b' AS target, payload->>'actor_kind' AS actor_kind
  FROM woes.events WHERE id > :before_merge AND kind = 'conversation.merged' ORDER BY id;
SELECT kind, count(*) FROM woes.events WHERE id > :before_merge GROUP BY kind ORDER BY kind;
COMMIT;

-- a retry is a no-op; the source's threads lead to the target; a
-- redelivery stays idempotent; a message naming the source lands in the target
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.merge(:'a', :'b') AS retried;
SELECT count(*) AS merges FROM woes.merges WHERE workspace_id = :'acme';
SELECT woes.receive_message('live_chat', 'merge-chat-1', 'merge-mia', 'hello again', 'merge-m6') AS m6 \gset
SELECT conversation_id = :'b' AS in_target FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m6';
SELECT woes.receive_message('live_chat', 'merge-chat-1', 'merge-mia', 'My invoice is wrong', 'merge-m1') = :'m1' AS redelivery_same_id;
SELECT count(*) AS copies FROM woes.messages WHERE workspace_id = :'acme' AND external_id = 'merge-m1';
SELECT woes.reply(:'a', 'answer to the old id') AS r2 \gset
SELECT conversation_id = :'b' AS reply_in_target FROM woes.messages WHERE workspace_id = :'acme' AND id = :'r2';
SELECT status, merged_into_id = :'b' AS still_merged FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'a';
SELECT count(*) AS conversations_of_mia FROM woes.conversations WHERE workspace_id = :'acme' AND contact_id = :'mia';
COMMIT;

-- Mia sees the merged thread: the source says where it went
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'mia');
SELECT number = :a_number AS source, status, merged_into_id = :'b' AS merged_into_target
  FROM woes.customer_conversations ORDER BY number;
SELECT CASE id WHEN :'m1' THEN 'm1' WHEN :'m2' THEN 'm2' WHEN :'r1' THEN 'r1' WHEN :'m4' THEN 'm4' WHEN :'m5' THEN 'm5'
               WHEN :'m6' THEN 'm6' WHEN :'r2' THEN 'r2' ELSE 'other' END AS message, author_kind, redacted
  FROM woes.customer_messages WHERE conversation_id = :'b' ORDER BY id;
-- a customer's own message naming the merged conversation lands in the target
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'a', 'customer', :'mia', 'written to the old one') RETURNING conversation_id = :'b' AS customer_in_target;
COMMIT;

-- two customers: Noah's conversation into Mia's.  Each keeps reading what
-- she read; neither reads the other's; Noah's next message starts a
-- follow-up of his conversation (a reply in Mia's would go to Mia)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.reply(:'n', 'Checking, Noah') AS rn \gset
SELECT woes.merge(:'n', :'b');
SELECT CASE contact_id WHEN :'mia' THEN 'mia' WHEN :'noah' THEN 'noah' END AS customer, count(*)
  FROM woes.messages WHERE workspace_id = :'acme' AND conversation_id = :'b' GROUP BY 1 ORDER BY 1;
SELECT count(*) AS keys_kept_by_source FROM woes.thread_refs WHERE workspace_id = :'acme' AND conversation_id = :'n';
SELECT woes.receive_message('live_chat', 'merge-chat-3', 'merge-noah', 'still broken', 'merge-m7') AS m7 \gset
SELECT conversation_id AS n2 FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m7' \gset
SELECT contact_id = :'noah' AS noahs, previous_conversation_id = :'n' AS follows_source, status
  FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'n2';
SELECT count(*) AS keys_moved_to_follow_up FROM woes.thread_refs WHERE workspace_id = :'acme' AND conversation_id = :'n2';
-- staff writing to Noah's merged conversation are told where it went
SELECT pg_temp.named(try_sql(format('SELECT woes.reply(%L, %L)', :'n', 'hi'))) AS reply_to_merged_other_customer;
SELECT pg_temp.named(try_sql(format('SELECT woes.add_note(%L, %L)', :'n', 'note'))) AS note_to_merged_other_customer;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'noah');
SELECT CASE id WHEN :'m3' THEN 'm3' WHEN :'rn' THEN 'rn' WHEN :'m7' THEN 'm7' ELSE 'other' END AS noah_reads
  FROM woes.customer_messages ORDER BY id;
SELECT count(*) AS noah_reads_mias FROM woes.messages WHERE contact_id = :'mia';
SELECT count(*) AS noah_reads_target FROM woes.conversations WHERE id = :'b';
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'mia');
SELECT count(*) AS mia_reads_noahs FROM woes.customer_messages WHERE conversation_id = :'b' AND author_kind = 'customer'
   AND body LIKE '%for me too%';
COMMIT;

-- refusals, each with its reason and nothing written
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.receive_message('live_chat', 'merge-chat-8', 'merge-mia', 'another one', 'merge-m8') AS m8 \gset
SELECT conversation_id AS c FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m8' \gset
SELECT woes.receive_message('live_chat', 'merge-chat-9', 'merge-mia', 'and another', 'merge-m9') AS m9 \gset
SELECT conversation_id AS d FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m9' \gset
SELECT woes.close(:'d') AS closed_d;
INSERT INTO pg_temp.names SELECT number, CASE id WHEN :'c' THEN 'C' ELSE 'D' END
  FROM woes.conversations WHERE workspace_id = :'acme' AND id IN (:'c', :'d');
SELECT max(id) AS before_refusals FROM woes.events \gset
SELECT try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'c')) AS into_itself;
SELECT pg_temp.named(try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'d'))) AS into_closed;
SELECT pg_temp.named(try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'a'))) AS into_merged;
SELECT pg_temp.named(try_sql(format('SELECT woes.merge(%L, %L)', :'b', :'a'))) AS cycle;
SELECT pg_temp.named(try_sql(format('SELECT woes.merge(%L, %L)', :'a', :'c'))) AS merged_again_elsewhere;
SELECT pg_temp.named(try_sql(format('SELECT woes.merge(%L, %L)', :'d', :'c'))) AS closed_source;
SELECT try_sql(format('SELECT woes.merge(%L, %L)', :'c', '01a00000-0000-7000-8000-000000000001')) AS unknown_target;
SELECT try_sql(format('SELECT woes.merge(NULL, %L)', :'c')) AS null_source;
SELECT try_sql(format('SELECT woes.merge(%L, %L, %L)', :'c', :'b', repeat('x', 1001))) AS long_reason;
SELECT count(*) AS events_written FROM woes.events WHERE id > :before_refusals;
SELECT status, merged_into_id IS NULL AS unmerged FROM woes.conversations WHERE workspace_id = :'acme' AND id = :'c';
COMMIT;

-- attacks: other audiences, another workspace, raw writes around the
-- merge's rules
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'b')) AS agent_merges;
SELECT regexp_replace(try_sql(format('UPDATE woes.conversations SET merged_into_id = %L WHERE id = %L', :'b', :'d')), '_[0-9]{6,}\M', '') AS agent_raw_pointer;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'mia');
SELECT try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'b')) AS customer_merges;
SELECT count(*) AS customer_reads_merges FROM woes.merges;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT try_sql(format('SELECT woes.merge(%L, %L)', :'c', :'b')) AS globex_merges_acme;
SELECT count(*) AS globex_reads_merges FROM woes.merges;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT regexp_replace(try_sql(format('UPDATE woes.messages SET conversation_id = %L WHERE id = %L', :'c', :'m1')), '_[0-9]{6,}\M', '') AS raw_move;
SELECT regexp_replace(try_sql(format('UPDATE woes.messages SET contact_id = %L WHERE id = %L', :'noah', :'m1')), '_[0-9]{6,}\M', '') AS raw_recontact;
SELECT pg_temp.named(regexp_replace(try_sql(format('UPDATE woes.conversations SET merged_into_id = %L WHERE id = %L', :'b', :'c')), '_[0-9]{6,}\M', '')) AS raw_pointer_on_open;
SELECT pg_temp.named(regexp_replace(try_sql(format('UPDATE woes.conversations SET merged_into_id = NULL WHERE id = %L', :'a')), '_[0-9]{6,}\M', '')) AS raw_unmerge;
SELECT pg_temp.named(regexp_replace(try_sql(format('UPDATE woes.conversations SET merged_into_id = %L WHERE id = %L', :'c', :'a')), '_[0-9]{6,}\M', '')) AS raw_remerge;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.conversations (channel, contact_id, merged_into_id) VALUES (%L, %L, %L)', 'api', :'mia', :'b')), '_[0-9]{6,}\M', '') AS raw_insert_merged;
SELECT regexp_replace(try_sql(format('INSERT INTO woes.merges (source_id, target_id, messages, actor_kind) VALUES (%L, %L, 0, %L)', :'c', :'b', 'operator')), '_[0-9]{6,}\M', '') AS raw_merge_record;
SELECT regexp_replace(try_sql(format('UPDATE woes.merges SET reason = %L', 'forged')), '_[0-9]{6,}\M', '') AS raw_merge_update;
SELECT conversation_id = :'b' AS m1_stays, contact_id = :'mia' AS m1_contact FROM woes.messages WHERE workspace_id = :'acme' AND id = :'m1';
COMMIT;
RESET ROLE;
-- a DBA's stray grant does not let anyone forge a merge record
GRANT INSERT ON woes.merges TO app;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT regexp_replace(try_sql(format('INSERT INTO woes.merges (source_id, target_id, messages, actor_kind) VALUES (%L, %L, 0, %L)', :'c', :'b', 'operator')), '_[0-9]{6,}\M', '') AS granted_merge_record;
COMMIT;
RESET ROLE;
REVOKE INSERT ON woes.merges FROM app;

-- Messages: intake on every channel (idempotent on the channel's message
-- id), email threading from real header shapes, follow-ups of closed
-- threads, participants, writing (start_conversation, reply, add_note) and
-- its authorship, the grounding guard, redaction and erasure, the inbox
-- counters, the customer's status words, and bad input to every function.
\set VERBOSITY terse
-- errors inside a transaction roll back to just before the statement
\set ON_ERROR_ROLLBACK on
-- the woes type operators live in schema woes, like any extension's
SET search_path = public, woes;

-- m40_try(statement): 'ok', or the SQLSTATE and message of the error the
-- statement raised (uuids masked).  Owned by the superuser, runs as the
-- caller, under the caller's context.
CREATE FUNCTION public.m40_try(statement text) RETURNS text
    LANGUAGE plpgsql
AS $$
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM,
        '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END;
$$;

-- m40_counts(): how many rows of each kind the context sees, as one line
CREATE FUNCTION public.m40_counts() RETURNS text
    LANGUAGE sql
AS $$
SELECT format('contacts=%s identities=%s conversations=%s messages=%s participants=%s thread_refs=%s traces=%s status_events=%s outbox=%s',
              (SELECT count(*) FROM woes.contacts), (SELECT count(*) FROM woes.identities),
              (SELECT count(*) FROM woes.conversations), (SELECT count(*) FROM woes.messages),
              (SELECT count(*) FROM woes.participants), (SELECT count(*) FROM woes.thread_refs),
              (SELECT count(*) FROM woes.message_traces), (SELECT count(*) FROM woes.status_events),
              (SELECT count(*) FROM woes.events))
$$;

SET ROLE app;
SELECT woes.create_workspace('m40', 'Messages Inc') AS ws \gset
SELECT woes.create_workspace('m40-other', 'Other Messages Inc') AS other \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Olga', 'olga@m40.test') AS olga \gset
SELECT woes.add_agent('helper-bot') AS bot \gset
SELECT woes.add_agent('other-bot') AS bot2 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT woes.receive_message('live_chat', 'chat-other', 'visitor-x', 'elsewhere', 'lco-1') IS NOT NULL AS other_ws_message;
SELECT conversation_id AS other_conv, contact_id AS other_contact FROM woes.messages \gset
COMMIT;

--------------------------------------------------------------------------
-- Intake: live chat.  A new session starts a conversation, the same session
-- continues it, a redelivery returns the first id and writes nothing.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'Hello, my order is late', 'lc-1', 'Vera',
                            '2020-01-05 10:00:00+00') AS lc1 \gset
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'Order #42', 'lc-2', NULL,
                            '2020-01-05 10:01:00+00') AS lc2 \gset
SELECT m40_counts() AS before_redelivery \gset
-- redelivered (even with another body and time): the first id, nothing written
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'Hello, my order is late!!', 'lc-1', 'Vera',
                            '2020-01-05 11:00:00+00') = :'lc1' AS same_id;
SELECT m40_counts() = :'before_redelivery' AS nothing_written;
SELECT body, created_at = '2020-01-05 10:00:00+00' AS first_time_kept FROM woes.messages WHERE id = :'lc1';
-- the same external id on another channel is another message
SELECT woes.receive_message('api', 'api-1', 'visitor-1', 'same id, other channel', 'lc-1') <> :'lc1' AS other_channel_other_message;
-- a second session of the same visitor: same contact, new conversation
SELECT woes.receive_message('live_chat', 'chat-2', 'visitor-1', 'Another question', 'lc-3') AS lc3 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT m.external_id, c.number, m.author_kind, m.visibility, m.channel,
       m.author_id = c.contact_id AS by_contact, m.contact_id = c.contact_id AS contact_filled
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.channel = 'live_chat' ORDER BY m.id;
SELECT c.number, c.channel, c.status, c.thread_ref, ct.name AS contact
  FROM woes.conversations c JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id ORDER BY c.number;
-- one contact, one identity per channel for visitor-1
SELECT i.channel, count(*) AS identities, count(DISTINCT i.contact_id) AS contacts
  FROM woes.identities i WHERE i.external_id = 'visitor-1' GROUP BY i.channel ORDER BY i.channel;
-- (identities are per channel: visitor-1 on api is another contact)
SELECT count(*) AS contacts, count(*) FILTER (WHERE name = 'Vera') AS veras FROM woes.contacts;
-- the thread keys
SELECT r.channel, r.ref, c.number FROM woes.thread_refs r JOIN woes.conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
 ORDER BY r.channel, r.ref;
COMMIT;

--------------------------------------------------------------------------
-- Intake: Discord.  A thread id threads; a second user in the thread is a
-- participant of the same conversation.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('discord', '1187245310001', '301234567890123456', 'the bot ignores me', 'dm-1', 'dora#0001') AS dc1 \gset
SELECT woes.receive_message('discord', '1187245310001', '301234567890123456', 'still', 'dm-2') AS dc2 \gset
SELECT woes.receive_message('discord', '1187245310001', '409999999999999999', 'me too', 'dm-3', 'eddy') AS dc3 \gset
SELECT woes.receive_message('discord', '1187245310001', '301234567890123456', 'the bot ignores me', 'dm-1') = :'dc1' AS redelivered_same_id;
SELECT woes.receive_message('discord', '1187245319999', '301234567890123456', 'other thread', 'dm-4') AS dc4 \gset
SELECT m.external_id, c.number, m.author_kind, m.contact_id = c.contact_id AS conversation_contact,
       m.author_id = c.contact_id AS by_conversation_contact
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.channel = 'discord' ORDER BY m.id;
SELECT c.number, p.kind, ct.name, count(*) AS rows
  FROM woes.participants p JOIN woes.conversations c ON c.workspace_id = p.workspace_id AND c.id = p.conversation_id
  JOIN woes.contacts ct ON ct.workspace_id = p.workspace_id AND ct.id = p.contact_id
 WHERE c.channel = 'discord' GROUP BY 1, 2, 3 ORDER BY 1, 3;
COMMIT;

--------------------------------------------------------------------------
-- Intake: API (the caller's own conversation key).
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('api', 'order-9001', 'crm:4711', 'Ticket from the CRM', 'crm-msg-1', 'Fay') AS ap1 \gset
SELECT woes.receive_message('api', 'order-9001', 'crm:4711', 'More details', 'crm-msg-2') AS ap2 \gset
SELECT m40_counts() AS before_redelivery \gset
SELECT woes.receive_message('api', 'order-9001', 'crm:4711', 'More details', 'crm-msg-2') = :'ap2' AS same_id;
SELECT m40_counts() = :'before_redelivery' AS nothing_written;
SELECT count(DISTINCT conversation_id) AS conversations, count(*) AS messages
  FROM woes.messages WHERE id IN (:'ap1', :'ap2');
COMMIT;

--------------------------------------------------------------------------
-- Intake: email, threaded by Message-ID.  thread_ref carries the values of
-- In-Reply-To and References as the mail arrived (folded, several ids);
-- each message's own Message-ID becomes a key of its thread.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
-- a new thread: no In-Reply-To, no References
SELECT woes.receive_message('email', '', 'erin@example.com', 'My invoice is wrong',
                            '<CAJ+abc=DEF@mail.gmail.com>', 'Erin') AS e1 \gset
-- In-Reply-To only (Gmail answering Gmail)
SELECT woes.receive_message('email', '<CAJ+abc=DEF@mail.gmail.com>', 'erin@example.com', 'Any news?',
                            '<CAJ+x7Y_2q=Zz+1@mail.gmail.com>') AS e2 \gset
-- In-Reply-To and a References header folded over lines (CRLF + tab/space)
SELECT woes.receive_message('email',
    E'<CAJ+x7Y_2q=Zz+1@mail.gmail.com>\r\n <CAJ+abc=DEF@mail.gmail.com>\r\n\t<CAJ+x7Y_2q=Zz+1@mail.gmail.com>',
    'erin@example.com', 'Hello??', '<CAJ+3rd.msg-99@mail.gmail.com>') AS e3 \gset
-- a reply to the message in the middle of the thread (Outlook: In-Reply-To only)
SELECT woes.receive_message('email', '<CAJ+x7Y_2q=Zz+1@mail.gmail.com>', 'erin@example.com', 'Replying to my 2nd mail',
    '<AM0PR04MB6434C3E5F2D1A4B5C6D7E8F9A0B1C2D3@AM0PR04MB6434.eurprd04.prod.outlook.com>') AS e4 \gset
-- a References header that starts with ids we never saw (the start of the
-- thread was outside the helpdesk) and names a known one in the middle
SELECT woes.receive_message('email',
    E'<unknown-1@lists.example.org>\n <CAJ+3rd.msg-99@mail.gmail.com>\n <unknown-2@lists.example.org>',
    'erin@example.com', 'Forwarded bits', '<20260105.1234@mx.example.com>') AS e5 \gset
-- a bare id (no angle brackets) threads too
SELECT woes.receive_message('email', 'CAJ+abc=DEF@mail.gmail.com', 'erin@example.com', 'Bare id',
                            '<bare-1@mail.example.com>') AS e6 \gset
-- a new thread from the same sender: empty and NULL thread_ref
SELECT woes.receive_message('email', '', 'erin@example.com', 'A new topic', '<new-topic-1@mail.gmail.com>') AS e7 \gset
SELECT woes.receive_message('email', NULL, 'erin@example.com', 'Another topic', '<new-topic-2@mail.gmail.com>') AS e8 \gset
-- a reply to the new topic
SELECT woes.receive_message('email', '<new-topic-1@mail.gmail.com>', 'erin@example.com', 'Re: new topic',
                            '<new-topic-1-re@mail.gmail.com>') AS e9 \gset
-- redelivery of an email: the first id, nothing written
SELECT m40_counts() AS before_redelivery \gset
SELECT woes.receive_message('email', '<CAJ+abc=DEF@mail.gmail.com>', 'erin@example.com', 'Any news?',
                            '<CAJ+x7Y_2q=Zz+1@mail.gmail.com>') = :'e2' AS same_id;
SELECT m40_counts() = :'before_redelivery' AS nothing_written;
SELECT v.label, c.number
  FROM (VALUES (1, 'e1 new thread', :'e1'::uuid), (2, 'e2 in-reply-to', :'e2'), (3, 'e3 folded references', :'e3'),
               (4, 'e4 reply to the middle', :'e4'), (5, 'e5 unknown ids around a known one', :'e5'),
               (6, 'e6 bare id', :'e6'), (7, 'e7 new thread (empty)', :'e7'), (8, 'e8 new thread (NULL)', :'e8'),
               (9, 'e9 reply to e7', :'e9'))
       AS v(n, label, id)
  JOIN woes.messages m ON m.id = v.id JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 ORDER BY v.n;
-- the keys: every Message-ID seen (without brackets), each in its thread
SELECT r.ref, c.number FROM woes.thread_refs r JOIN woes.conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
 WHERE r.channel = 'email' ORDER BY c.number, r.ref;
-- a long thread: References with 40 ids (over 2000 characters) in the
-- first message of it we see; then a reply to one of those ids
SELECT woes.receive_message('email',
    (SELECT string_agg(format('<CAH%s+qwertyuiopasdfghjklzxcvbnm0123456789@mail.gmail.com>', i), E'\r\n ' ORDER BY i)
       FROM generate_series(1, 40) i),
    'gil@example.com', 'Late in a long thread', '<CAH41+long@mail.gmail.com>', 'Gil') IS NOT NULL AS long_references_accepted;
SELECT woes.receive_message('email', '<CAH7+qwertyuiopasdfghjklzxcvbnm0123456789@mail.gmail.com>',
    'gil@example.com', 'Reply to the 7th', '<CAH42+long@mail.gmail.com>') IS NOT NULL AS reply_accepted;
SELECT (SELECT count(*) FROM woes.messages WHERE external_id LIKE '<CAH4%+long@mail.gmail.com>') AS messages,
       (SELECT count(DISTINCT conversation_id) FROM woes.messages WHERE external_id LIKE '<CAH4%+long@mail.gmail.com>')
         AS conversations,
       (SELECT count(*) FROM woes.thread_refs WHERE ref LIKE 'CAH%') AS keys;
-- one contact per address, one participant row per conversation
SELECT i.external_id, count(*) AS identities FROM woes.identities i WHERE i.channel = 'email'
 GROUP BY 1 ORDER BY 1;
SELECT c.number, count(p.*) AS participants FROM woes.conversations c
  LEFT JOIN woes.participants p ON p.workspace_id = c.workspace_id AND p.conversation_id = c.id
 WHERE c.channel = 'email' GROUP BY 1 ORDER BY 1;
-- the email thread keys function alone
SELECT woes.email_thread_keys(E'<a@x>\r\n\t<b@y> (comment) <c@z>') AS folded,
       woes.email_thread_keys(' <only@x> ') AS one,
       woes.email_thread_keys('plain@x') AS bare,
       woes.email_thread_keys('') AS empty,
       woes.email_thread_keys(NULL) IS NULL AS null_is_null;
COMMIT;

--------------------------------------------------------------------------
-- A closed thread written to again: the message starts a follow-up that
-- points back, and the thread's later messages go to the follow-up.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT conversation_id AS chat1 FROM woes.messages WHERE id = :'lc1' \gset
SELECT conversation_id AS mail1 FROM woes.messages WHERE id = :'e1' \gset
SELECT woes.close(:'chat1', 'order delivered') AS closed_chat, woes.close(:'mail1', 'invoice fixed') AS closed_mail;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'It came broken', 'lc-4') AS lc4 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'Photos attached', 'lc-5') AS lc5 \gset
-- a redelivery of a message of the closed conversation stays where it was
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'Order #42', 'lc-2') = :'lc2' AS old_redelivery_same_id;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT c.number, c.status, p.number AS follows, c.thread_ref,
       (SELECT count(*) FROM woes.messages m WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id) AS messages,
       (SELECT count(*) FROM woes.participants x WHERE x.workspace_id = c.workspace_id AND x.conversation_id = c.id)
         AS participants
  FROM woes.conversations c LEFT JOIN woes.conversations p ON p.workspace_id = c.workspace_id AND p.id = c.previous_conversation_id
 WHERE c.channel = 'live_chat' ORDER BY c.number;
SELECT (SELECT conversation_id FROM woes.messages WHERE id = :'lc4')
     = (SELECT conversation_id FROM woes.messages WHERE id = :'lc5') AS same_follow_up,
       (SELECT conversation_id FROM woes.thread_refs WHERE channel = 'live_chat' AND ref = 'chat-1')
     = (SELECT conversation_id FROM woes.messages WHERE id = :'lc4') AS key_moved;
COMMIT;
-- email: replies to different messages of the closed thread (In-Reply-To
-- only) all land in the one follow-up
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', '<CAJ+x7Y_2q=Zz+1@mail.gmail.com>', 'erin@example.com', 'Wrong again',
                            '<CAJ+after-close-1@mail.gmail.com>') AS e12 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', '<CAJ+3rd.msg-99@mail.gmail.com>', 'erin@example.com', 'And this one',
                            '<CAJ+after-close-2@mail.gmail.com>') AS e13 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', E'<CAJ+abc=DEF@mail.gmail.com>\r\n <CAJ+after-close-1@mail.gmail.com>',
                            'erin@example.com', 'Full references', '<CAJ+after-close-3@mail.gmail.com>') AS e14 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT count(*) AS follow_ups_of_mail1 FROM woes.conversations WHERE previous_conversation_id = :'mail1';
SELECT count(DISTINCT m.conversation_id) AS conversations,
       bool_and(c.previous_conversation_id = :'mail1') AS all_in_follow_up
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.id IN (:'e12', :'e13', :'e14');
SELECT status FROM woes.conversations WHERE id = :'mail1';
COMMIT;

--------------------------------------------------------------------------
-- start_conversation: a customer for itself, an operator for anyone (an
-- outbound message), the backend for anyone (the customer's first words).
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.upsert_contact('api', 'hal-1', 'Hal') AS hal \gset
SELECT woes.upsert_contact('api', 'ida-1', 'Ida') AS ida \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'hal');
SELECT woes.start_conversation(:'hal', 'api', 'Refund', 'I want a refund') AS s1 \gset
SELECT woes.start_conversation(:'hal', 'live_chat') AS s2 \gset
-- for another contact (of this workspace or another): not found
SELECT m40_try(format('SELECT woes.start_conversation(%L, %L, %L, %L)', :'ida', 'api', 'Not mine', 'hi')) AS for_ida,
       m40_try(format('SELECT woes.start_conversation(%L, %L)', :'other_contact', 'api')) AS for_other_workspace;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.start_conversation(:'ida', 'email', 'Your invoice', 'Here is your invoice') AS s3 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.start_conversation(:'ida', 'api', 'From the web form', 'The web form says hi') AS s4 \gset
SELECT v.label, c.number, c.channel, c.status, c.subject, ct.name AS contact,
       m.author_kind, m.author_id = :'olga' AS by_olga, m.author_id = c.contact_id AS by_contact, m.body,
       m.channel AS message_channel,
       (SELECT count(*) FROM woes.participants p WHERE p.workspace_id = c.workspace_id AND p.conversation_id = c.id
           AND p.kind = 'customer'
           AND p.contact_id = c.contact_id) AS customer_participant
  FROM (VALUES (1, 'customer, with body', :'s1'::uuid), (2, 'customer, no body', :'s2'),
               (3, 'operator', :'s3'), (4, 'backend', :'s4')) AS v(n, label, id)
  JOIN woes.conversations c ON c.id = v.id JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
  LEFT JOIN woes.messages m ON m.workspace_id = c.workspace_id AND m.conversation_id = c.id
 ORDER BY v.n;
COMMIT;

--------------------------------------------------------------------------
-- reply and add_note: the author comes from the context
--------------------------------------------------------------------------
-- (the agent first: an operator's public reply takes the conversation over)
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'s1', 'Anything else?', grounding => '[{"url": "https://docs.example.com/refunds"}]',
                  trace => '{"model": "m1", "tokens": 42}') AS r_ag \gset
SELECT woes.add_note(:'s1', 'Suggest: offer a voucher') AS n_ag \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.reply(:'s1', 'Your refund is on its way (automated)') AS r_sys \gset
SELECT woes.add_note(:'s1', 'system note') AS n_sys \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.reply(:'s1', 'Refund issued') AS r_op \gset
SELECT woes.add_note(:'s1', 'Checked with billing') AS n_op \gset
SELECT woes.reply(:'s1', 'raw diagnostics', 'debug', trace => '{"step": "manual"}') AS d_op \gset
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin', :'olga');
SELECT woes.add_note(:'s1', 'admin as olga') AS n_adm \gset
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.add_note(:'s1', 'admin, no actor') AS n_adm2 \gset
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT v.label, m.author_kind, m.visibility, m.author_id = :'olga' AS by_olga, m.author_id = :'bot' AS by_bot,
       m.author_id IS NULL AS no_author, m.channel, m.grounding, t.trace, t.author_id = m.author_id AS trace_author
  FROM (VALUES (1, 'operator reply', :'r_op'::uuid), (2, 'operator note', :'n_op'), (3, 'operator debug', :'d_op'),
               (4, 'agent reply', :'r_ag'), (5, 'agent note', :'n_ag'), (6, 'backend reply', :'r_sys'),
               (7, 'backend note', :'n_sys'), (8, 'admin as olga', :'n_adm'), (9, 'admin, no actor', :'n_adm2'))
       AS v(n, label, id)
  JOIN woes.messages m ON m.id = v.id LEFT JOIN woes.message_traces t ON t.workspace_id = m.workspace_id AND t.message_id = m.id
 ORDER BY v.n;
COMMIT;
-- who may not: customers and analysts (boss acting as an analyst) write
-- no replies or notes; agents start, redact and erase nothing
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'hal');
SELECT label, m40_try(s) AS outcome FROM (VALUES
    (1, 'customer reply', format('SELECT woes.reply(%L, %L)', :'s1', 'I am staff now')),
    (2, 'customer note', format('SELECT woes.add_note(%L, %L)', :'s1', 'secret note')),
    (3, 'customer redact', format('SELECT woes.redact_message(%L, %L)', :'r_op', 'hide it')),
    (4, 'customer erase', format('SELECT woes.erase_contact(%L)', :'hal')),
    (5, 'customer intake', $$SELECT woes.receive_message('api', 't', 's', 'b', 'x')$$)) AS t(n, label, s)
 ORDER BY n;
ROLLBACK;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'analyst');
SELECT label, m40_try(s) AS outcome FROM (VALUES
    (1, 'analyst reply', format('SELECT woes.reply(%L, %L)', :'s1', 'analysts do not write')),
    (2, 'analyst note', format('SELECT woes.add_note(%L, %L)', :'s1', 'nor this')),
    (3, 'analyst start', format('SELECT woes.start_conversation(%L, %L)', :'hal', 'api')),
    (4, 'analyst intake', $$SELECT woes.receive_message('api', 't', 's', 'b', 'x')$$)) AS t(n, label, s)
 ORDER BY n;
ROLLBACK;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT label, m40_try(s) AS outcome FROM (VALUES
    (1, 'agent start', format('SELECT woes.start_conversation(%L, %L)', :'hal', 'api')),
    (2, 'agent redact', format('SELECT woes.redact_message(%L, %L)', :'r_op', 'agents do not redact')),
    (3, 'agent erase', format('SELECT woes.erase_contact(%L)', :'hal')),
    (4, 'agent intake', $$SELECT woes.receive_message('api', 't', 's', 'b', 'x')$$)) AS t(n, label, s)
 ORDER BY n;
ROLLBACK;

--------------------------------------------------------------------------
-- The grounding guard.  Only an admin (woes_admin, admin audience) may
-- change the workspace settings.  (On a conversation under automation: an
-- agent serves every channel of this workspace.)
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.start_conversation(:'hal', 'live_chat', 'Grounding', 'Where are the docs?') AS gc \gset
SELECT control FROM woes.conversations WHERE id = :'gc';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT m40_try($$UPDATE woes.workspaces SET settings = '{"require_grounding": true}'$$) AS service_updates_settings;
ROLLBACK;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
UPDATE woes.workspaces SET settings = '{"require_grounding": true}' RETURNING true AS updated_as_operator;
SELECT woes.set_context(:'ws', 'admin');
UPDATE woes.workspaces SET settings = '{"require_grounding": true}';
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT m40_counts() AS before_guard \gset
SELECT label, m40_try(s) AS outcome FROM (VALUES
    (1, 'no grounding', format('SELECT woes.reply(%L, %L)', :'gc', 'Trust me')),
    (2, 'empty array', format('SELECT woes.reply(%L, %L, grounding => %L)', :'gc', 'Trust me', '[]')),
    (3, 'JSON null', format('SELECT woes.reply(%L, %L, grounding => %L)', :'gc', 'Trust me', 'null')),
    (4, 'an object', format('SELECT woes.reply(%L, %L, grounding => %L)', :'gc', 'Trust me', '{"url": "https://docs.example.com"}')),
    (5, 'a string', format('SELECT woes.reply(%L, %L, grounding => %L)', :'gc', 'Trust me', '"https://docs.example.com"'))
    ) AS t(n, label, s) ORDER BY n;
SELECT m40_counts() = :'before_guard' AS nothing_written;
-- with sources, or not public, an agent may write
SELECT woes.reply(:'gc', 'See the docs', grounding => '[{"url": "https://docs.example.com/a"}]') AS g1 \gset
SELECT woes.reply(:'gc', 'Maybe this?', 'internal') AS g2 \gset
SELECT woes.reply(:'gc', 'thinking...', 'debug') AS g3 \gset
COMMIT;
-- operators are not held to it
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.reply(:'s1', 'Operator answer') AS g4 \gset
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
UPDATE woes.workspaces SET settings = '{"require_grounding": "suggest"}';
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
-- without sources the answer is kept as an internal suggestion
SELECT woes.reply(:'gc', 'Ungrounded answer', grounding => '[]') AS g5 \gset
SELECT woes.reply(:'gc', 'Ungrounded too') AS g6 \gset
SELECT woes.reply(:'gc', 'Grounded answer', grounding => '[{"url": "https://docs.example.com/b"}]') AS g7 \gset
-- still refused: grounding that is not an array
SELECT m40_try(format('SELECT woes.reply(%L, %L, grounding => %L)', :'gc', 'Bad grounding', '{"url": "x"}')) AS not_an_array;
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
UPDATE woes.workspaces SET settings = '{"require_grounding": false}';
COMMIT;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'gc', 'Off again') AS g8 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT v.label, m.author_kind, m.visibility, jsonb_array_length(m.grounding) AS sources
  FROM (VALUES (1, 'grounded', :'g1'::uuid), (2, 'internal', :'g2'), (3, 'debug', :'g3'), (4, 'operator', :'g4'),
               (5, 'suggest, []', :'g5'), (6, 'suggest, none', :'g6'), (7, 'suggest, grounded', :'g7'),
               (8, 'off', :'g8')) AS v(n, label, id)
  JOIN woes.messages m ON m.id = v.id ORDER BY v.n;
COMMIT;

--------------------------------------------------------------------------
-- Redaction: the content goes (body, attachments, grounding, trace); who
-- wrote it, when, who redacted it and why stay.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, attachments, channel)
VALUES (:'s1', 'customer', :'hal', 'my card is 4111 1111 1111 1111',
        '[{"name": "card.jpg", "url": "https://files.example.com/card.jpg"}]', 'api')
RETURNING id AS card \gset
SELECT created_at AS card_at FROM woes.messages WHERE id = :'card' \gset
SELECT created_at AS r_ag_at FROM woes.messages WHERE id = :'r_ag' \gset
SELECT woes.redact_message(:'card', 'card number');
SELECT woes.redact_message(:'r_ag', 'wrong answer');
-- a second redaction keeps the first record
SELECT woes.redact_message(:'card', 'again');
SELECT v.label, m.author_kind, m.author_id = :'hal' AS by_hal, m.author_id = :'bot' AS by_bot,
       m.created_at = v.at AS created_kept, m.body IS NULL AS no_body, m.attachments,
       m.grounding IS NULL AS no_grounding, m.redacted_at IS NOT NULL AS redacted,
       m.redacted_by = :'olga' AS by_olga, m.redaction_reason,
       (SELECT count(*) FROM woes.message_traces t WHERE t.workspace_id = m.workspace_id AND t.message_id = m.id) AS traces
  FROM (VALUES (1, 'card', :'card'::uuid, :'card_at'::timestamptz), (2, 'agent reply', :'r_ag', :'r_ag_at'))
       AS v(n, label, id, at)
  JOIN woes.messages m ON m.id = v.id ORDER BY v.n;
-- the record of a redaction stays: a raw UPDATE (refused or ignored) can
-- neither undo nor rewrite it
SELECT m40_try(format('UPDATE woes.messages SET redacted_at = NULL, redacted_by = NULL, redaction_reason = NULL WHERE id = %L',
                      :'card')) IS NOT NULL AS tried_to_unredact,
       m40_try(format('UPDATE woes.messages SET redaction_reason = %L WHERE id = %L', 'nothing happened', :'card')) IS NOT NULL
           AS tried_to_rewrite;
SELECT body IS NULL AS no_body, redacted_at IS NOT NULL AS redacted, redacted_by = :'olga' AS by_olga, redaction_reason
  FROM woes.messages WHERE id = :'card';
-- the customer sees that something was there
SELECT woes.set_context(:'ws', 'customer', :'hal');
SELECT body, attachments, redacted FROM woes.customer_messages WHERE id = :'card';
COMMIT;

--------------------------------------------------------------------------
-- Erasure: the contact is blanked, its identities and thread keys go, what
-- it wrote is redacted; conversations and staff messages stay.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT contact_id AS erin FROM woes.messages WHERE id = :'e1' \gset
-- a second identity of the same person
INSERT INTO woes.identities (contact_id, channel, external_id) VALUES (:'erin', 'live_chat', 'visitor-erin');
UPDATE woes.contacts SET email = 'erin@example.com', metadata = '{"plan": "pro"}' WHERE id = :'erin';
SELECT conversation_id AS mail2 FROM woes.messages WHERE id = :'e7' \gset
SELECT woes.reply(:'mail2', 'Operator text stays') AS staff_msg \gset
UPDATE woes.conversations SET subject = 'Invoice 2026-001 for Erin Example' WHERE id = :'mail2';
UPDATE woes.participants SET display_name = 'Erin Example' WHERE contact_id = :'erin';
SELECT count(*) AS erin_conversations FROM woes.conversations WHERE contact_id = :'erin' \gset
SELECT count(*) AS erin_messages FROM woes.messages WHERE author_id = :'erin' \gset
SELECT woes.erase_contact(:'erin');
SELECT name IS NULL AS no_name, email IS NULL AS no_email, metadata, erased_at IS NOT NULL AS erased
  FROM woes.contacts WHERE id = :'erin';
SELECT count(*) AS identities FROM woes.identities WHERE contact_id = :'erin';
SELECT :erin_conversations > 1 AS several, count(*) = :erin_conversations AS conversations_kept,
       bool_and(subject IS NULL) AS subjects_blank
  FROM woes.conversations WHERE contact_id = :'erin';
SELECT :erin_messages > 1 AS several, count(*) = :erin_messages AS messages_kept, bool_and(body IS NULL) AS bodies_gone,
       bool_and(redaction_reason = 'contact erased') AS reason, bool_and(redacted_by = :'olga') AS by_olga
  FROM woes.messages WHERE author_id = :'erin';
SELECT body FROM woes.messages WHERE id = :'staff_msg';
SELECT count(*) AS participant_rows, count(display_name) AS names_left FROM woes.participants WHERE contact_id = :'erin';
SELECT count(*) AS thread_keys FROM woes.thread_refs r JOIN woes.conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
 WHERE c.contact_id = :'erin';
COMMIT;
-- the same address writing again is a new contact in a new conversation
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('email', '<CAJ+abc=DEF@mail.gmail.com>', 'erin@example.com', 'Hi again',
                            '<CAJ+after-erasure@mail.gmail.com>', 'Erin') AS e15 \gset
SELECT m.contact_id <> :'erin' AS new_contact, c.previous_conversation_id IS NULL AS new_thread,
       (SELECT count(*) FROM woes.conversations x WHERE x.workspace_id = m.workspace_id AND x.contact_id = m.contact_id)
         AS conversations
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id WHERE m.id = :'e15';
-- erasure does not cross workspaces, nor invent contacts
SELECT woes.erase_contact('00000000-0000-7000-8000-000000000000');
SELECT woes.erase_contact(NULL);
COMMIT;

--------------------------------------------------------------------------
-- The inbox: unread (unanswered customer messages), waiting since the
-- oldest unanswered one, last message time.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-inbox', 'visitor-inbox', 'one', 'in-1', 'Ivy',
                            '2020-02-01 09:00:00+00') AS i1 \gset
SELECT conversation_id AS ic FROM woes.messages WHERE id = :'i1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-inbox', 'visitor-inbox', 'two', 'in-2', NULL,
                            '2020-02-01 09:05:00+00') IS NOT NULL AS received;
SELECT status, contact_name, unread_count, waiting_since = '2020-02-01 09:00:00+00' AS waiting_since_first,
       last_message_at = '2020-02-01 09:05:00+00' AS last_is_second
  FROM woes.inbox WHERE id = :'ic';
COMMIT;
-- a note and an agent's answer leave the customer waiting for an operator
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.add_note(:'ic', 'looking') IS NOT NULL AS noted;
SELECT unread_count, waiting_since = '2020-02-01 09:00:00+00' AS still_waiting,
       last_message_at = '2020-02-01 09:05:00+00' AS note_is_not_last
  FROM woes.inbox WHERE id = :'ic';
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'ic', 'A bot answer', grounding => '[{"url": "https://docs.example.com"}]') IS NOT NULL AS answered;
SELECT woes.set_context(:'ws', 'operator');
SELECT unread_count, waiting_since = '2020-02-01 09:00:00+00' AS still_waiting,
       last_message_at > '2020-02-01 09:05:00+00' AS bot_is_last
  FROM woes.inbox WHERE id = :'ic';
COMMIT;
-- an operator's public answer: nothing unread, nobody waiting
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.reply(:'ic', 'An operator answer') IS NOT NULL AS answered;
SELECT unread_count, waiting_since IS NULL AS not_waiting FROM woes.inbox WHERE id = :'ic';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-inbox', 'visitor-inbox', 'three', 'in-3', NULL,
                            '2020-02-01 10:00:00+00') IS NOT NULL AS received;
SELECT unread_count, waiting_since = '2020-02-01 10:00:00+00' AS waiting_since_third FROM woes.inbox WHERE id = :'ic';
-- the inbox is every conversation of the workspace, none of another's
SELECT (SELECT count(*) FROM woes.inbox) = (SELECT count(*) FROM woes.conversations) AS all_conversations,
       (SELECT count(*) FROM woes.inbox WHERE id = :'other_conv') AS others;
COMMIT;

--------------------------------------------------------------------------
-- The customer's words for the status: snoozed shows as open, pending as
-- awaiting_customer.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.upsert_contact('live_chat', 'visitor-words', 'Wanda') AS wanda \gset
SELECT woes.start_conversation(:'wanda', 'live_chat', 'open') AS w_open \gset
SELECT woes.start_conversation(:'wanda', 'live_chat', 'pending') AS w_pending \gset
SELECT woes.start_conversation(:'wanda', 'live_chat', 'snoozed') AS w_snoozed \gset
SELECT woes.start_conversation(:'wanda', 'live_chat', 'resolved') AS w_resolved \gset
SELECT woes.start_conversation(:'wanda', 'live_chat', 'closed') AS w_closed \gset
SELECT woes.set_pending(:'w_pending'), woes.snooze(:'w_snoozed', now() + interval '1 day'),
       woes.resolve(:'w_resolved'), woes.close(:'w_closed');
SELECT woes.set_context(:'ws', 'customer', :'wanda');
SELECT subject, status FROM woes.customer_conversations ORDER BY number;
SELECT woes.set_context(:'ws', 'operator');
SELECT subject, status FROM woes.inbox WHERE contact_id = :'wanda' ORDER BY number;
COMMIT;

--------------------------------------------------------------------------
-- Bad input: every function answers with its documented SQLSTATE and
-- writes nothing.
--------------------------------------------------------------------------
-- no context: WO001
BEGIN;
SELECT m40_try(s) AS no_context FROM unnest(ARRAY[
    $$SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'x', 'nc-1')$$,
    format('SELECT woes.start_conversation(%L, %L)', :'hal', 'api'),
    format('SELECT woes.reply(%L, %L)', :'s1', 'x'),
    format('SELECT woes.add_note(%L, %L)', :'s1', 'x'),
    format('SELECT woes.redact_message(%L, %L)', :'card', 'x'),
    format('SELECT woes.erase_contact(%L)', :'hal')]) WITH ORDINALITY AS t(s, n) ORDER BY n;
ROLLBACK;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT m40_counts() AS before_bad \gset
SELECT label, split_part(m40_try(s), ':', 1) AS sqlstate FROM (VALUES
    (1, 'receive: unknown channel', $$SELECT woes.receive_message('sms', 't', 's', 'b', 'x-1')$$),
    (2, 'receive: NULL channel', $$SELECT woes.receive_message(NULL, 't', 's', 'b', 'x-1')$$),
    (3, 'receive: NULL sender', $$SELECT woes.receive_message('live_chat', 't', NULL, 'b', 'x-1')$$),
    (4, 'receive: empty sender', $$SELECT woes.receive_message('live_chat', 't', '', 'b', 'x-1')$$),
    (5, 'receive: long sender', $$SELECT woes.receive_message('live_chat', 't', repeat('s', 513), 'b', 'x-1')$$),
    (6, 'receive: NULL body', $$SELECT woes.receive_message('live_chat', 't', 's', NULL, 'x-1')$$),
    (7, 'receive: long body', $$SELECT woes.receive_message('live_chat', 't', 's', repeat('b', 100001), 'x-1')$$),
    (8, 'receive: NULL message id', $$SELECT woes.receive_message('live_chat', 't', 's', 'b', NULL)$$),
    (9, 'receive: empty message id', $$SELECT woes.receive_message('live_chat', 't', 's', 'b', '')$$),
    (10, 'receive: long message id', $$SELECT woes.receive_message('live_chat', 't', 's', 'b', repeat('x', 513))$$),
    (11, 'receive: chat without thread', $$SELECT woes.receive_message('live_chat', NULL, 's', 'b', 'x-1')$$),
    (12, 'receive: blank thread', $$SELECT woes.receive_message('discord', '   ', 's', 'b', 'x-1')$$),
    (13, 'receive: long thread ref', $$SELECT woes.receive_message('api', repeat('t', 10001), 's', 'b', 'x-1')$$),
    (14, 'receive: long sender name', $$SELECT woes.receive_message('live_chat', 't', 's', 'b', 'x-1', repeat('n', 201))$$),
    (15, 'receive: NULL sent_at', $$SELECT woes.receive_message('live_chat', 't', 's', 'b', 'x-1', NULL, NULL)$$),
    (16, 'start: NULL contact', $$SELECT woes.start_conversation(NULL, 'api')$$),
    (17, 'start: unknown contact', $$SELECT woes.start_conversation('00000000-0000-7000-8000-000000000000', 'api')$$),
    (18, 'start: other workspace''s contact', format('SELECT woes.start_conversation(%L, %L)', :'other_contact', 'api')),
    (19, 'start: unknown channel', format('SELECT woes.start_conversation(%L, %L)', :'hal', 'fax')),
    (20, 'start: long subject', format('SELECT woes.start_conversation(%L, %L, repeat(%L, 1001))', :'hal', 'api', 's')),
    (21, 'start: long body', format('SELECT woes.start_conversation(%L, %L, %L, repeat(%L, 100001))', :'hal', 'api', 's', 'b')),
    (22, 'reply: NULL conversation', $$SELECT woes.reply(NULL, 'b')$$),
    (23, 'reply: unknown conversation', $$SELECT woes.reply('00000000-0000-7000-8000-000000000000', 'b')$$),
    (24, 'reply: other workspace', format('SELECT woes.reply(%L, %L)', :'other_conv', 'b')),
    (25, 'reply: NULL body', format('SELECT woes.reply(%L, NULL)', :'s1')),
    (26, 'reply: empty body', format('SELECT woes.reply(%L, %L)', :'s1', '')),
    (27, 'reply: long body', format('SELECT woes.reply(%L, repeat(%L, 100001))', :'s1', 'b')),
    (28, 'reply: NULL visibility', format('SELECT woes.reply(%L, %L, NULL)', :'s1', 'b')),
    (29, 'reply: bad visibility', format('SELECT woes.reply(%L, %L, %L)', :'s1', 'b', 'secret')),
    (30, 'reply: grounding object', format('SELECT woes.reply(%L, %L, grounding => %L)', :'s1', 'b', '{"a": 1}')),
    (31, 'reply: grounding string', format('SELECT woes.reply(%L, %L, grounding => %L)', :'s1', 'b', '"a"')),
    (32, 'note: NULL conversation', $$SELECT woes.add_note(NULL, 'b')$$),
    (33, 'note: empty body', format('SELECT woes.add_note(%L, %L)', :'s1', '')),
    (34, 'note: other workspace', format('SELECT woes.add_note(%L, %L)', :'other_conv', 'b')),
    (35, 'redact: NULL message', $$SELECT woes.redact_message(NULL, 'r')$$),
    (36, 'redact: unknown message', $$SELECT woes.redact_message('00000000-0000-7000-8000-000000000000', 'r')$$),
    (37, 'redact: NULL reason', format('SELECT woes.redact_message(%L, NULL)', :'r_op')),
    (38, 'redact: empty reason', format('SELECT woes.redact_message(%L, %L)', :'r_op', '')),
    (39, 'redact: long reason', format('SELECT woes.redact_message(%L, repeat(%L, 1001))', :'r_op', 'r')),
    (40, 'erase: NULL contact', $$SELECT woes.erase_contact(NULL)$$),
    (41, 'erase: unknown contact', $$SELECT woes.erase_contact('00000000-0000-7000-8000-000000000000')$$)
    ) AS t(n, label, s) ORDER BY n;
SELECT m40_counts() = :'before_bad' AS nothing_written;
COMMIT;
-- the same failures as top-level statements in one transaction (psql rolls
-- each back to its savepoint): still nothing written
\set VERBOSITY sqlstate
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT m40_counts() AS before_bad \gset
SELECT woes.receive_message('live_chat', 't', 's', 'b', 'x-1', repeat('n', 201));
SELECT woes.receive_message('live_chat', 't', 's', 'b', 'x-1', NULL, NULL);
SELECT woes.reply(:'s1', 'b', grounding => '{"a": 1}');
SELECT woes.redact_message(:'r_op', NULL);
SELECT m40_counts() = :'before_bad' AS nothing_written;
COMMIT;
\set VERBOSITY terse

--------------------------------------------------------------------------
-- Intake finds its rows by probing unique indexes (not through SQL): every
-- probe is bounded to the context's workspace.  The same channel, thread,
-- sender and external message id in another workspace are another thread,
-- contact and message there; and a participant removed from a known thread
-- is recorded again by the thread's next message.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-probe', 'visitor-probe', 'first', 'pr-1') AS pr1 \gset
SELECT conversation_id AS pr_conv, contact_id AS pr_contact FROM woes.messages WHERE id = :'pr1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT woes.receive_message('live_chat', 'chat-probe', 'visitor-probe', 'twin', 'pr-1') AS twin \gset
SELECT id <> :'pr1' AS new_message, conversation_id <> :'pr_conv' AS own_conversation,
       contact_id <> :'pr_contact' AS own_contact, body
  FROM woes.messages WHERE id = :'twin';
SELECT woes.receive_message('live_chat', 'chat-probe', 'visitor-probe', 'twin again', 'pr-1') = :'twin'
       AS redelivery_there;
COMMIT;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
DELETE FROM woes.participants WHERE conversation_id = :'pr_conv' AND kind = 'customer';
SELECT woes.receive_message('live_chat', 'chat-probe', 'visitor-probe', 'second', 'pr-2') IS NOT NULL AS received;
SELECT kind, contact_id = :'pr_contact' AS the_sender FROM woes.participants WHERE conversation_id = :'pr_conv';
SELECT count(*) AS messages_here FROM woes.messages WHERE conversation_id = :'pr_conv';
COMMIT;
SET ROLE app;

RESET ROLE;
DROP FUNCTION public.m40_try(text), public.m40_counts();

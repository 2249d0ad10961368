-- demo/demo.sql: a walk through woes, chapter by chapter.
--
-- demo/run executes this file with psql, as a superuser, against a throwaway
-- cluster.  Each chapter acts as the role that would really do the work
-- (SET ROLE support_app, helpdesk_admin, ...) and prints names and numbers,
-- not uuids.
--
-- Conventions for new chapters (lifecycle, intake, handoff, analytics ...):
--   * start with a banner like the ones below; add the chapter above the
--     "Health check" chapter, which stays last;
--   * a context is transaction-local: set it inside BEGIN ... COMMIT;
--   * keep ids in psql variables (\gset) and print names and numbers;
--   * an intentional failure goes between \set ON_ERROR_STOP 0 and 1, and is
--     then checked with demo.expect(), which fails the demo if the statement
--     did not fail with the expected SQLSTATE:
--         \set ON_ERROR_STOP 0
--         <statement that must fail>
--         \set ON_ERROR_STOP 1
--         \set got :SQLSTATE
--         ROLLBACK;  -- only if a transaction is open
--         SELECT demo.expect(:'got', 'WO002') AS verdict \gset
--         \echo :verdict
--   Everything else runs with ON_ERROR_STOP on, so real breakage stops the
--   demo with a non-zero exit.

\set ON_ERROR_STOP 1
\set QUIET on
\set SHOW_CONTEXT never
\pset linestyle unicode
\pset border 2
\pset footer off
\pset null '-'

-- The demo's own helper (not part of woes): verify an intentional failure.
CREATE SCHEMA demo;
GRANT USAGE ON SCHEMA demo TO PUBLIC;
CREATE FUNCTION demo.expect(got text, expected text) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    IF got IS DISTINCT FROM expected THEN
        RAISE EXCEPTION 'demo: expected SQLSTATE %, got %', expected,
            CASE WHEN got = '00000' THEN 'success' ELSE got END;
    END IF;
    RETURN format('   => refused with SQLSTATE %s, as it should be', expected);
END;
$$;


\echo
\echo '━━ 0. Setup ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   A superuser installs the extension and creates the login roles.  woes'
\echo '   itself created three group roles: woes_service (trusted application'
\echo '   backends), woes_admin (people in psql) and woes_analyst (BI tools).'
\echo

CREATE EXTENSION woes;
CREATE ROLE support_app LOGIN IN ROLE woes_service;     -- the application backend
CREATE ROLE helpdesk_admin LOGIN IN ROLE woes_admin;    -- an administrator
CREATE ROLE metabase LOGIN PASSWORD 'demo' IN ROLE woes_analyst;  -- a BI tool
CREATE ROLE mallory LOGIN;                              -- anybody else

SELECT e.extname AS extension, e.extversion AS version, n.nspname AS schema
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
 WHERE e.extname = 'woes';

SELECT r.rolname AS login_role,
       coalesce(string_agg(g.rolname, ', '), '(none)') AS member_of
  FROM pg_roles r
  LEFT JOIN pg_auth_members m ON m.member = r.oid
  LEFT JOIN pg_roles g ON g.oid = m.roleid
 WHERE r.rolname IN ('support_app', 'helpdesk_admin', 'metabase', 'mallory')
 GROUP BY r.rolname
 ORDER BY min(g.rolname) NULLS LAST;


\echo
\echo '━━ 1. Two workspaces ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   support_app creates two tenants, Acme and Globex, with'
\echo '   woes.create_workspace(slug, name).  It needs no context for that.'
\echo

SET ROLE support_app;
SELECT woes.create_workspace('acme', 'Acme Inc.') AS acme \gset
SELECT woes.create_workspace('globex', 'Globex Corporation') AS globex \gset

\echo '   A slug is taken once:'
\set ON_ERROR_STOP 0
SELECT woes.create_workspace('acme', 'Acme again');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', 'WO008') AS verdict \gset
\echo :verdict
RESET ROLE;

\echo
\echo '   The workspaces, read by the superuser (a superuser bypasses row-level'
\echo '   security; the application never runs as one):'
SELECT w.slug, w.name, coalesce(n.last_conversation_number, 0) AS last_conversation_number
  FROM woes.workspaces w LEFT JOIN woes.workspace_counters n ON n.workspace_id = w.id ORDER BY w.slug;


\echo
\echo '━━ 2. The context ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   Every read and write acts for one workspace, one audience and (maybe)'
\echo '   one actor.  Without a context support_app sees no workspace at all:'

SET ROLE support_app;
SELECT count(*) AS visible_workspaces FROM woes.workspaces;

\echo
\echo '   woes.set_context(workspace, audience, actor) inside a transaction:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT w.slug AS current_workspace,
       woes.current_audience() AS current_audience,
       woes.current_actor() AS current_actor
  FROM woes.workspaces w;
COMMIT;

\echo '   ... and after COMMIT it is gone (safe behind a transaction-pooling PgBouncer):'
SELECT woes.current_workspace() IS NULL AS context_gone,
       (SELECT count(*) FROM woes.workspaces) AS visible_workspaces;

\echo
\echo '   The same context as plain SET LOCAL of the woes.* settings (the form'
\echo '   Citus forwards to its workers; woes_service and woes_admin may use it):'
BEGIN;
SET LOCAL woes.workspace = :'globex';
SET LOCAL woes.audience = 'operator';
SELECT w.slug AS current_workspace, woes.current_audience() AS current_audience
  FROM woes.workspaces w;
COMMIT;
RESET ROLE;


\echo
\echo '━━ 3. Operators, teams and agents ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   In the operator audience, support_app staffs both workspaces.'
\echo

SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.add_operator('Grace Hopper', 'grace@acme.test') AS grace \gset
SELECT woes.add_operator('Linus Pauling', 'linus@acme.test') AS linus \gset
SELECT woes.add_team('Billing') AS billing \gset
SELECT woes.add_team('Tier 2') AS tier2 \gset
SELECT woes.add_team_member(:'billing', :'grace') AS m1,
       woes.add_team_member(:'tier2', :'grace') AS m2,
       woes.add_team_member(:'tier2', :'linus') AS m3 \gset
SELECT woes.add_agent('Acme Assistant', ARRAY['live_chat', 'discord']) AS acme_bot \gset
COMMIT;

BEGIN;
SELECT woes.set_context(:'globex', 'operator') \gset
SELECT woes.add_operator('Hank Scorpio', 'hank@globex.test') AS hank \gset
SELECT woes.add_team('Everyone') AS everyone \gset
SELECT woes.add_team_member(:'everyone', :'hank') AS m4 \gset
SELECT woes.add_agent('Globex Bot') AS globex_bot \gset
COMMIT;

\echo '   What an Acme operator sees:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT o.name AS operator, o.email, string_agg(t.name, ', ' ORDER BY t.name) AS teams
  FROM woes.operators o
  LEFT JOIN woes.team_members m ON m.workspace_id = o.workspace_id AND m.operator_id = o.id
  LEFT JOIN woes.teams t ON t.workspace_id = m.workspace_id AND t.id = m.team_id
 GROUP BY o.name, o.email ORDER BY o.name;
SELECT name AS agent, coalesce(array_to_string(channels, ', '), 'every channel') AS serves
  FROM woes.agents ORDER BY name;
COMMIT;

\echo '   What a Globex operator sees, with the very same queries:'
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'hank') \gset
SELECT o.name AS operator, o.email, string_agg(t.name, ', ' ORDER BY t.name) AS teams
  FROM woes.operators o
  LEFT JOIN woes.team_members m ON m.workspace_id = o.workspace_id AND m.operator_id = o.id
  LEFT JOIN woes.teams t ON t.workspace_id = m.workspace_id AND t.id = m.team_id
 GROUP BY o.name, o.email ORDER BY o.name;
SELECT name AS agent, coalesce(array_to_string(channels, ', '), 'every channel') AS serves
  FROM woes.agents ORDER BY name;
COMMIT;
RESET ROLE;


\echo
\echo '━━ 4. Contacts on several channels ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   woes.upsert_contact(channel, external_id, name, email) finds the contact'
\echo '   known on a channel by its id there (a chat visitor id, a Discord user id,'
\echo '   an email address), or creates it.'
\echo

SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.upsert_contact('live_chat', 'visitor-7f3a', 'Ada Lovelace') AS ada \gset
SELECT woes.upsert_contact('discord', '80351110224678912', 'Bob') AS bob \gset
SELECT woes.upsert_contact('email', 'chen@example.com', 'Chen Wei', 'chen@example.com') AS chen \gset
-- the same visitor again, now with an email address: same contact, filled in
SELECT woes.upsert_contact('live_chat', 'visitor-7f3a', NULL, 'ada@example.com') AS ada_again \gset
COMMIT;

BEGIN;
SELECT woes.set_context(:'globex', 'operator') \gset
SELECT woes.upsert_contact('email', 'dmitri@example.com', 'Dmitri', 'dmitri@example.com') AS dmitri \gset
-- Bob's Discord account also talks to Globex: a separate contact there
SELECT woes.upsert_contact('discord', '80351110224678912', 'Bob') AS bob_globex \gset
COMMIT;

SELECT :'ada' = :'ada_again' AS "Ada upserted twice: one contact",
       :'bob' <> :'bob_globex' AS "Bob in two workspaces: two contacts";

\echo
\echo '   Acme''s contacts and how they are known:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT c.name AS contact, c.email, i.channel, i.external_id
  FROM woes.contacts c
  JOIN woes.identities i ON i.workspace_id = c.workspace_id AND i.contact_id = c.id
 ORDER BY c.name;
COMMIT;
RESET ROLE;


\echo '━━ 5. Intake: conversations, numbered per workspace ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   The backend hands every incoming message to woes.receive_message(channel,'
\echo '   thread_ref, sender_external_id, body, external_message_id).  It finds the'
\echo '   contact and the conversation of the thread, or creates them.  A new'
\echo '   conversation gets the next number of its workspace, without gaps, and'
\echo '   starts under automation when an active agent serves its channel.'
\echo

SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.receive_message('live_chat', 'chat-1001', 'visitor-7f3a',
           'I changed my password and now I cannot log in.', 'lc-1') AS ada_msg1 \gset
SELECT woes.receive_message('discord', 'thread-2002', '80351110224678912',
           'The bot ignores my slash command.', 'dc-1') \gset
SELECT woes.receive_message('email', NULL, 'chen@example.com',
           'Could you send me a copy of invoice 2024-117?', '<m1@chen.example>') \gset
SELECT woes.receive_message('live_chat', 'chat-1002', 'visitor-7f3a',
           'Two-factor codes arrive late.', 'lc-2') \gset
SELECT woes.receive_message('email', NULL, 'chen@example.com',
           'Please cancel my plan.', '<m2@chen.example>') \gset
COMMIT;

BEGIN;
SELECT woes.set_context(:'globex', 'operator') \gset
SELECT woes.receive_message('email', NULL, 'dmitri@example.com',
           'Order 5512 has not shipped.', '<a7@dmitri.example>') \gset
SELECT woes.receive_message('discord', 'thread-77', '80351110224678912',
           'Where is the changelog?', 'dc-9') \gset
COMMIT;

\echo '   A webhook delivered twice is stored once (idempotent on the channel''s'
\echo '   message id), and an email reply finds its thread by In-Reply-To:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.receive_message('live_chat', 'chat-1001', 'visitor-7f3a',
           'I changed my password and now I cannot log in.', 'lc-1') AS ada_msg1_again \gset
SELECT woes.receive_message('email', '<m1@chen.example>', 'chen@example.com',
           'Any news about the invoice?', '<m3@chen.example>') \gset
SELECT :'ada_msg1' = :'ada_msg1_again' AS "redelivery: same message",
       (SELECT count(*) FROM woes.messages WHERE external_id = 'lc-1') AS "stored";
COMMIT;

\echo '   A conversation whose transaction rolls back does not use up a number:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.start_conversation(:'bob', 'email', 'Your invoice') AS rolled_back \gset
SELECT number AS "rolled back: #" FROM woes.conversations WHERE id = :'rolled_back';
ROLLBACK;

\echo '   Acme''s conversations:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT c.number AS "#", c.channel, ct.name AS contact,
       (SELECT left(m.body, 44) FROM woes.messages m
         WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id
         ORDER BY m.id LIMIT 1) AS "first message",
       (SELECT count(*) FROM woes.messages m
         WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id) AS messages,
       c.status, c.control
  FROM woes.conversations c
  JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
 ORDER BY c.number;
SELECT string_agg(number::text, ', ' ORDER BY id) AS "numbers in id order",
       bool_and(substr(id::text, 15, 1) = '7') AS "all ids UUID v7"
  FROM woes.conversations;
-- keep the ids for later chapters
SELECT (array_agg(id) FILTER (WHERE number = 1))[1] AS acme1,
       (array_agg(id) FILTER (WHERE number = 2))[1] AS acme2,
       (array_agg(id) FILTER (WHERE number = 3))[1] AS acme3,
       (array_agg(id) FILTER (WHERE number = 4))[1] AS acme4,
       (array_agg(id) FILTER (WHERE number = 5))[1] AS acme5
  FROM woes.conversations \gset
COMMIT;

\echo '   Globex''s conversations (its numbers start at 1 too; its bot serves every'
\echo '   channel):'
BEGIN;
SELECT woes.set_context(:'globex', 'operator') \gset
SELECT c.number AS "#", c.channel, ct.name AS contact,
       (SELECT left(m.body, 44) FROM woes.messages m
         WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id
         ORDER BY m.id LIMIT 1) AS "first message",
       c.status, c.control
  FROM woes.conversations c
  JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
 ORDER BY c.number;
SELECT id AS globex1 FROM woes.conversations WHERE number = 1 \gset
COMMIT;
RESET ROLE;


\echo
\echo '━━ 6. The conversation lifecycle ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   woes.status is open, pending, snoozed, resolved or closed.  The legal moves'
\echo '   live in one table in C; a trigger holds every write path to it, the API'
\echo '   and a raw UPDATE alike, and records each change in woes.status_events.'
\echo

SELECT s.status AS "from",
       coalesce(nullif(array_to_string(woes.next_statuses(s.status), ', '), ''),
                '(nothing: closed is final)') AS "may move to"
  FROM unnest('{open,pending,snoozed,resolved,closed}'::woes.status[]) WITH ORDINALITY AS s (status, n)
 ORDER BY s.n;

\echo '   Grace works Acme''s queue:'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.snooze(:'acme2', now() + interval '1 hour', 'waiting for the bot deploy') AS "#2 snoozed",
       woes.resolve(:'acme3', 'invoice sent') AS "#3 resolved",
       woes.snooze(:'acme4', now() + interval '1 day', 'SMS provider incident') AS "#4 snoozed",
       woes.close(:'acme5', 'plan cancelled') AS "#5 closed";
\echo '   Asking again is a no-op that returns false and records nothing (retries are safe):'
SELECT woes.resolve(:'acme3') AS "#3 resolved again";
COMMIT;

\echo '   Moves outside the table are refused, with what is allowed as a hint.'
\echo '   Reopening closed #5:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
\set ON_ERROR_STOP 0
SELECT woes.reopen(:'acme5');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO101') AS verdict \gset
\echo :verdict

\echo
\echo '   A raw UPDATE of resolved #3 to pending:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
\set ON_ERROR_STOP 0
UPDATE woes.conversations SET status = 'pending' WHERE number = 3;
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO101') AS verdict \gset
\echo :verdict

\echo
\echo '   Snoozing #1 until a time that has passed:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
\set ON_ERROR_STOP 0
SELECT woes.snooze(:'acme1', now() - interval '1 hour');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO102') AS verdict \gset
\echo :verdict

\echo
\echo '   Two hours later the scheduled job (pg_cron, say) runs woes.wake_snoozed():'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.wake_snoozed(now() + interval '2 hours') AS "conversations woken";
SELECT c.number AS "#", c.status,
       CASE WHEN c.snoozed_until IS NOT NULL THEN 'in ' || round(extract(epoch FROM c.snoozed_until - now()) / 3600) || ' h' END AS "wakes up"
  FROM woes.conversations c ORDER BY c.number;
\echo '   The history of #2:'
SELECT e.from_status AS "from", e.to_status AS "to", e.actor_kind AS "by",
       o.name AS operator, e.reason
  FROM woes.status_events e
  LEFT JOIN woes.operators o ON o.workspace_id = e.workspace_id AND o.id = e.actor_id
 WHERE e.conversation_id = :'acme2'
 ORDER BY e.id;
COMMIT;
RESET ROLE;


\echo
\echo '━━ 7. Messages and visibility ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   On #1 the Acme Assistant answers with its sources (grounding) and a'
\echo '   diagnostic trace; Grace leaves a private note, replies, and marks the'
\echo '   conversation as waiting for Ada.'
\echo

SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
SELECT woes.reply(:'acme1', 'Sorry about that! The reset link on the login page should help.',
                  grounding => '[{"url": "https://help.acme.test/login-reset"}]',
                  trace => '{"retrieved": ["kb/login-reset"], "score": 0.82}') \gset
SELECT woes.add_note(:'acme1', 'Suggestion: the account may be locked.') \gset
COMMIT;

BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.add_note(:'acme1', 'Locked after 5 failed attempts; identity checked, unlocking.') \gset
SELECT woes.reply(:'acme1', 'I have unlocked your account. Please try again.') \gset
SELECT woes.set_pending(:'acme1', 'asked Ada to try again') \gset
COMMIT;

\echo '   Ada answers in the chat.  Her message reopens the pending conversation by'
\echo '   itself; she wrote her password in it, so Grace redacts it, and asks her'
\echo '   to confirm:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.receive_message('live_chat', 'chat-1001', 'visitor-7f3a',
           'Works now with my new password hunter2, thanks!', 'lc-3') AS ada_msg3 \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.redact_message(:'ada_msg3', 'contained a password') \gset
SELECT woes.reply(:'acme1', 'Glad it works! I removed your message because it contained your password; please change it once more.') \gset
SELECT woes.set_pending(:'acme1', 'asked Ada to change her password') \gset
SELECT e.from_status AS "from", e.to_status AS "to", e.actor_kind AS "by", e.reason
  FROM woes.status_events e WHERE e.conversation_id = :'acme1' ORDER BY e.id;
COMMIT;

\echo '   The same SELECT on woes.messages, run by each of them:'
CREATE TEMP TABLE seen_messages (viewer text, id uuid);
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada') \gset
INSERT INTO seen_messages SELECT 'Ada', id FROM woes.messages;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
INSERT INTO seen_messages SELECT 'Assistant', id FROM woes.messages;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
INSERT INTO seen_messages SELECT 'Grace', id FROM woes.messages;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'hank') \gset
INSERT INTO seen_messages SELECT 'Hank', id FROM woes.messages;
COMMIT;
RESET ROLE;

-- the ground truth, read by the superuser
SELECT m.author_kind AS author, m.visibility,
       coalesce(left(m.body, 40), '(redacted: ' || m.redaction_reason || ')') AS body,
       CASE WHEN EXISTS (SELECT FROM seen_messages s WHERE s.viewer = 'Ada' AND s.id = m.id)
            THEN 'sees' ELSE '' END AS "Ada (customer)",
       CASE WHEN EXISTS (SELECT FROM seen_messages s WHERE s.viewer = 'Assistant' AND s.id = m.id)
            THEN 'sees' ELSE '' END AS "Assistant (agent)",
       CASE WHEN EXISTS (SELECT FROM seen_messages s WHERE s.viewer = 'Grace' AND s.id = m.id)
            THEN 'sees' ELSE '' END AS "Grace (operator)",
       CASE WHEN EXISTS (SELECT FROM seen_messages s WHERE s.viewer = 'Hank' AND s.id = m.id)
            THEN 'sees' ELSE '' END AS "Hank (Globex)"
  FROM woes.messages m
 WHERE m.conversation_id = :'acme1'
 ORDER BY m.id;

\echo '   Ada''s own views: her conversations in her words (a snooze is "open" to'
\echo '   her, pending is "awaiting_customer"), and her thread without notes:'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada') \gset
SELECT number AS "#", status FROM woes.customer_conversations ORDER BY number;
SELECT author_kind AS author, coalesce(left(body, 60), '(removed)') AS body
  FROM woes.customer_messages WHERE conversation_id = :'acme1' ORDER BY id;
SELECT (SELECT count(*) FROM woes.message_traces) AS "traces Ada can read";
COMMIT;

\echo '   Grace''s inbox (the operator''s list):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT number AS "#", status, control, channel, contact_name AS contact, unread_count AS unread
  FROM woes.inbox ORDER BY last_message_at DESC NULLS LAST, id DESC;
SELECT (SELECT count(*) FROM woes.message_traces) AS "traces Grace can read";
COMMIT;

\echo '   A workspace can require sources for every public agent answer'
\echo '   (settings.require_grounding, changed by an admin):'
RESET ROLE;
SET ROLE helpdesk_admin;
BEGIN;
SELECT woes.set_context(:'acme', 'admin') \gset
UPDATE woes.workspaces SET settings = settings || '{"require_grounding": true}';
COMMIT;
RESET ROLE;
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
\set ON_ERROR_STOP 0
SELECT woes.reply(:'acme2', 'The bot is fixed, I think.');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO201') AS verdict \gset
\echo :verdict

\echo
\echo '   Chen writes again about closed #5 (here from the customer side, as a plain'
\echo '   INSERT in the customer audience).  Closed is final, so his message starts'
\echo '   a follow-up conversation that points back to it (and takes the number'
\echo '   the rolled-back conversation did not use up):'
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'chen') \gset
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'acme5', 'customer', :'chen', 'I was charged again after cancelling.');
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT c.number AS "#", c.status, p.number AS "follows #",
       (SELECT count(*) FROM woes.messages m
         WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id) AS messages
  FROM woes.conversations c
  JOIN woes.conversations p ON p.workspace_id = c.workspace_id AND p.id = c.previous_conversation_id;
COMMIT;
RESET ROLE;


\echo
\echo '━━ 8. Who sees what ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   Three sessions of support_app run the same queries with no WHERE clause:'
\echo '     Ada      customer audience in Acme, actor = her contact'
\echo '     Grace    operator audience in Acme'
\echo '     Hank     operator audience in Globex'
\echo '   Row-level security decides what each one gets back.'
\echo

SET ROLE support_app;
CREATE TEMP TABLE seen (viewer text, workspace text, number bigint);
CREATE TEMP TABLE seen_counts (viewer text, conversations bigint, messages bigint,
                               traces bigint, status_events bigint, contacts bigint,
                               operators bigint);

BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada') \gset
INSERT INTO seen SELECT 'Ada', w.slug, c.number
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id;
INSERT INTO seen_counts SELECT 'Ada (customer, acme)',
    (SELECT count(*) FROM woes.conversations), (SELECT count(*) FROM woes.messages),
    (SELECT count(*) FROM woes.message_traces), (SELECT count(*) FROM woes.status_events),
    (SELECT count(*) FROM woes.contacts), (SELECT count(*) FROM woes.operators);
COMMIT;

BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
INSERT INTO seen SELECT 'Grace', w.slug, c.number
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id;
INSERT INTO seen_counts SELECT 'Grace (operator, acme)',
    (SELECT count(*) FROM woes.conversations), (SELECT count(*) FROM woes.messages),
    (SELECT count(*) FROM woes.message_traces), (SELECT count(*) FROM woes.status_events),
    (SELECT count(*) FROM woes.contacts), (SELECT count(*) FROM woes.operators);
COMMIT;

BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'hank') \gset
INSERT INTO seen SELECT 'Hank', w.slug, c.number
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id;
INSERT INTO seen_counts SELECT 'Hank (operator, globex)',
    (SELECT count(*) FROM woes.conversations), (SELECT count(*) FROM woes.messages),
    (SELECT count(*) FROM woes.message_traces), (SELECT count(*) FROM woes.status_events),
    (SELECT count(*) FROM woes.contacts), (SELECT count(*) FROM woes.operators);
COMMIT;
RESET ROLE;

\echo '   Every conversation in the database (read by the superuser), and who got'
\echo '   it back:'
SELECT w.slug AS workspace, c.number AS "#", c.channel, ct.name AS contact, c.status,
       CASE WHEN s_ada.number IS NULL THEN '' ELSE 'sees' END AS "Ada (customer)",
       CASE WHEN s_grace.number IS NULL THEN '' ELSE 'sees' END AS "Grace (operator)",
       CASE WHEN s_hank.number IS NULL THEN '' ELSE 'sees' END AS "Hank (Globex)"
  FROM woes.conversations c
  JOIN woes.workspaces w ON w.id = c.workspace_id
  JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
  LEFT JOIN seen s_ada ON s_ada.viewer = 'Ada' AND s_ada.workspace = w.slug AND s_ada.number = c.number
  LEFT JOIN seen s_grace ON s_grace.viewer = 'Grace' AND s_grace.workspace = w.slug AND s_grace.number = c.number
  LEFT JOIN seen s_hank ON s_hank.viewer = 'Hank' AND s_hank.workspace = w.slug AND s_hank.number = c.number
 ORDER BY w.slug, c.number;

\echo '   How many rows each one gets from each table:'
SELECT viewer, conversations, messages, traces, status_events, contacts, operators
  FROM seen_counts;


\echo
\echo '━━ 9. Walls that hold ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   mallory (no woes role) tries to forge a context:  SET woes.workspace = <acme>'
SET ROLE mallory;
\set ON_ERROR_STOP 0
SET woes.workspace = :'acme';
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', '42501') AS verdict \gset
\echo :verdict

\echo
\echo '   ... with set_config():  SELECT set_config(''woes.audience'', ''admin'', false)'
\set ON_ERROR_STOP 0
SELECT set_config('woes.audience', 'admin', false);
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', '42501') AS verdict \gset
\echo :verdict

\echo
\echo '   ... and with woes.set_context():'
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SELECT woes.set_context(:'acme', 'admin');
\set VERBOSITY default
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', '42501') AS verdict \gset
\echo :verdict
RESET ROLE;

SET ROLE support_app;
\echo
\echo '   support_app, acting for Acme, writes a conversation into Globex:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
\set ON_ERROR_STOP 0
INSERT INTO woes.conversations (workspace_id, contact_id, channel, subject)
VALUES (:'globex', :'dmitri', 'email', 'Planted by Acme');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO002') AS verdict \gset
\echo :verdict

\echo
\echo '   ... tries to move Acme''s conversation #1 over to Globex:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
\set ON_ERROR_STOP 0
UPDATE woes.conversations SET workspace_id = :'globex' WHERE number = 1;
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO006') AS verdict \gset
\echo :verdict

\echo
\echo '   ... replies in Globex''s conversation #1, by its id:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
\set ON_ERROR_STOP 0
SELECT woes.reply(:'globex1', 'Hello from Acme');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO005') AS verdict \gset
\echo :verdict

\echo
\echo '   ... updates Globex''s conversation #1 by its id (it cannot even see it):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
WITH changed AS (
    UPDATE woes.conversations SET subject = 'Defaced' WHERE id = :'globex1'
    RETURNING 1)
SELECT count(*) AS rows_changed FROM changed;
COMMIT;

\echo
\echo '   ... writes with no context at all:'
\set ON_ERROR_STOP 0
INSERT INTO woes.contacts (name) VALUES ('Nobody');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', 'WO001') AS verdict \gset
\echo :verdict

\echo
\echo '   ... and, in the customer audience as Ada, tries to resolve her conversation:'
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada') \gset
\set ON_ERROR_STOP 0
SELECT woes.resolve(:'acme4');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO003') AS verdict \gset
\echo :verdict
RESET ROLE;


\echo
\echo '━━ 10. Role bindings: a BI tool with a default context ━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   A BI tool cannot call woes.set_context() first.  helpdesk_admin binds its'
\echo '   role, metabase, to Acme in the analyst audience with woes.bind_role().'
\echo

SET ROLE helpdesk_admin;
BEGIN;
SELECT woes.set_context(:'acme', 'admin') \gset
SELECT woes.bind_role('metabase', :'acme', 'analyst') \gset
SELECT role_name AS role, audience FROM woes.role_bindings;
COMMIT;
RESET ROLE;

\echo '   A new session of metabase has that context without asking for it:'
\c "user=metabase password=demo"
\set QUIET on
SELECT current_user AS session_user, w.slug AS current_workspace,
       current_setting('woes.audience') AS current_audience
  FROM woes_bi.workspace w;

\echo '   It reads its workspace from the schema woes_bi (BI views, chapter 16):'
\echo '   the conversations without their subjects, and the status history ...'
SELECT number AS "#", channel, status FROM woes_bi.conversation_metrics ORDER BY number;
SELECT to_status AS "status changes to", count(*) AS times
  FROM woes_bi.status_changes GROUP BY to_status ORDER BY to_status;

\echo '   ... but nothing of the schema woes, where what anybody wrote is:'
\set ON_ERROR_STOP 0
SELECT body FROM woes.messages;
\set ON_ERROR_STOP 1
\set got :SQLSTATE
SELECT demo.expect(:'got', '42501') AS verdict \gset
\echo :verdict

\c - postgres
\set QUIET on


\echo
\echo '━━ 11. Handoff end to end ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   woes.control says who answers a conversation: automation (an agent),'
\echo '   handoff_requested (automation stopped, waiting for a person) or operator'
\echo '   (a person has it).  A new visitor, Noor, opens the chat.  The Acme'
\echo '   Assistant serves live chat, so the conversation starts under automation:'
\echo

SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.receive_message('live_chat', 'chat-1003', 'visitor-91c2',
           'My blender arrived broken. Can I get my money back?', 'lc-20', 'Noor Haddad') AS noor_msg1 \gset
SELECT m.conversation_id AS noor_conv, m.contact_id AS noor, c.number AS noor_no
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.id = :'noor_msg1' \gset
SELECT c.number AS "#", c.channel, ct.name AS contact, c.status, c.control
  FROM woes.conversations c
  JOIN woes.contacts ct ON ct.workspace_id = c.workspace_id AND ct.id = c.contact_id
 WHERE c.id = :'noor_conv';
COMMIT;

\echo '   The agent answers with its sources (grounding: Acme requires them since'
\echo '   chapter 7) and a diagnostic trace:'
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
SELECT woes.reply(:'noor_conv', 'Sorry to hear that! A damaged item can be returned within 30 days for a full refund.',
                  grounding => '[{"url": "https://help.acme.test/returns"}]',
                  trace => '{"retrieved": ["kb/returns", "kb/refunds"], "score": 0.91}') \gset
COMMIT;

\echo
\echo '   The operators'' dashboard listens for handoffs.  Any role may LISTEN, so a'
\echo '   wake-up carries only the id of an outbox event, never text.  The'
\echo '   dashboard keeps a cursor into the outbox (woes.events_since):'
LISTEN woes_handoff;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT coalesce(max(id), 0) AS listener_cursor FROM woes.events_since(0, 100000) \gset
COMMIT;

\echo
\echo '   Noor writes that she would rather talk to a person, and presses "Talk to'
\echo '   a person": the chat backend calls woes.request_handoff() in the customer'
\echo '   audience, as Noor.  At COMMIT the listener is woken:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.receive_message('live_chat', 'chat-1003', 'visitor-91c2',
           'I would rather talk to a person, please.', 'lc-21') \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'noor') \gset
SELECT woes.request_handoff(:'noor_conv', 'customer asked for a person') \gset
COMMIT;

\echo
\echo '   The listener reads the outbox from its cursor (the payload above is the'
\echo '   id of the handoff.requested event; the outbox also has Noor''s message):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT e.id AS event, e.kind, c.number AS "#",
       (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(e.payload) k) AS "payload fields"
  FROM woes.events_since(:listener_cursor, 100) e
  JOIN woes.conversations c ON c.workspace_id = e.workspace_id AND c.id = e.conversation_id
 ORDER BY e.id;
SELECT number AS "#", status, control, contact_name AS contact
  FROM woes.inbox WHERE control OPERATOR(woes.=) 'handoff_requested';
COMMIT;

\echo
\echo '   Grace takes it over (another wake-up for the dashboard):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.take_over(:'noor_conv') \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT c.number AS "#", c.control, o.name AS "held by"
  FROM woes.conversations c
  JOIN woes.operators o ON o.workspace_id = c.workspace_id AND o.id = c.controller_id
 WHERE c.id = :'noor_conv';
COMMIT;

\echo
\echo '   The agent, still working on its answer, posts it in public.  Automation'
\echo '   has stopped for this conversation, so the trigger on woes.messages'
\echo '   refuses it (a raw INSERT just the same):'
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
\set ON_ERROR_STOP 0
SELECT woes.reply(:'noor_conv', 'I have started your refund of 89 EUR.',
                  grounding => '[{"url": "https://help.acme.test/refunds"}]');
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO301') AS verdict \gset
\echo :verdict

\echo '   ... but it may still suggest, internally, to the operator:'
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'acme_bot') \gset
SELECT woes.reply(:'noor_conv', 'Suggestion: order 7781 qualifies for a full refund of 89 EUR.', 'internal',
                  trace => '{"retrieved": ["orders/7781"], "score": 0.88}') \gset
COMMIT;

\echo
\echo '   Linus opens the same conversation a moment later and tries to take it'
\echo '   too.  One operator holds it; he is told who:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'linus') \gset
\set ON_ERROR_STOP 0
\set VERBOSITY terse
SELECT woes.take_over(:'noor_conv');
\set VERBOSITY default
\set ON_ERROR_STOP 1
\set got :SQLSTATE
ROLLBACK;
SELECT demo.expect(:'got', 'WO302') AS verdict \gset
\echo :verdict

\echo
\echo '   Grace answers Noor, using the agent''s suggestion:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.reply(:'noor_conv', 'Hi Noor, Grace here. I have refunded the 89 EUR for your blender; it will reach you in 3 to 5 days.') \gset
COMMIT;

\echo '   The conversation as Noor sees it (woes.customer_messages) beside what'
\echo '   Grace sees (woes.operator_messages):'
CREATE TEMP TABLE handoff_seen (viewer text, id uuid, sources boolean, trace boolean);
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'noor') \gset
INSERT INTO handoff_seen SELECT 'Noor', id, false, false
  FROM woes.customer_messages WHERE conversation_id = :'noor_conv';
SELECT count(*) AS noor_traces FROM woes.message_traces \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
INSERT INTO handoff_seen SELECT 'Grace', id, grounding IS NOT NULL, trace IS NOT NULL
  FROM woes.operator_messages WHERE conversation_id = :'noor_conv';
COMMIT;
RESET ROLE;

-- the messages themselves, read by the superuser; who saw what, from the views
SELECT m.author_kind AS author, m.visibility, left(m.body, 46) AS body,
       CASE WHEN n.id IS NOT NULL THEN 'the text' ELSE '' END AS "Noor (customer)",
       CASE WHEN g.id IS NULL THEN ''
            ELSE concat_ws(' + ', 'the text', CASE WHEN g.sources THEN 'sources' END,
                           CASE WHEN g.trace THEN 'trace' END) END AS "Grace (operator)"
  FROM woes.messages m
  LEFT JOIN handoff_seen n ON n.viewer = 'Noor' AND n.id = m.id
  LEFT JOIN handoff_seen g ON g.viewer = 'Grace' AND g.id = m.id
 WHERE m.conversation_id = :'noor_conv'
 ORDER BY m.id;
SELECT :noor_traces AS "traces Noor can read";

\echo '   The handoff history (woes.handoff_events, written by the trigger as the'
\echo '   table owner: nobody can forge or edit it):'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT h.kind, h.from_control AS "from", h.to_control AS "to", h.actor_kind AS "by",
       coalesce(o.name, a.name, ct.name) AS who, holder.name AS "held by", h.reason
  FROM woes.handoff_events h
  LEFT JOIN woes.operators o ON o.workspace_id = h.workspace_id AND o.id = h.actor_id
  LEFT JOIN woes.agents a ON a.workspace_id = h.workspace_id AND a.id = h.actor_id
  LEFT JOIN woes.contacts ct ON ct.workspace_id = h.workspace_id AND ct.id = h.actor_id
  LEFT JOIN woes.operators holder ON holder.workspace_id = h.workspace_id AND holder.id = h.operator_id
 WHERE h.conversation_id = :'noor_conv'
 ORDER BY h.id;

\echo '   ... and everything the outbox (woes.events) recorded for it, in order:'
SELECT row_number() OVER (ORDER BY e.id) AS n, e.kind
  FROM woes.events e WHERE e.conversation_id = :'noor_conv'
 ORDER BY e.id;
COMMIT;

\echo
\echo '   A warehouse exports resolved conversations incrementally with'
\echo '   woes.resolved_conversations(cursor, max).  Its first sync starts at 0 and'
\echo '   keeps the last event_id as its cursor:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
CREATE TEMP TABLE warehouse_batch ON COMMIT DROP AS
    SELECT * FROM woes.resolved_conversations(0, 1000);
SELECT event_id, number AS "#", channel, resolved_by FROM warehouse_batch ORDER BY event_id;
SELECT coalesce(max(event_id), 0) AS warehouse_cursor FROM warehouse_batch \gset
COMMIT;

\echo '   Grace resolves Noor''s conversation; the next sync, from the cursor,'
\echo '   gets just that:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.resolve(:'noor_conv', 'refunded') \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT event_id, number AS "#", channel, resolved_by
  FROM woes.resolved_conversations(:warehouse_cursor, 1000) ORDER BY event_id;
COMMIT;
UNLISTEN woes_handoff;
RESET ROLE;


\echo
\echo '━━ 12. Triage: routing and tags ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   An admin gives Acme''s operators room for two open conversations each'
\echo '   (the workspace''s routing_capacity; an operator may have her own):'
SET ROLE helpdesk_admin;
BEGIN;
SELECT woes.set_context(:'acme', 'admin') \gset
UPDATE woes.workspaces SET settings = settings || '{"routing_capacity": 2}' WHERE id = :'acme';
COMMIT;
RESET ROLE;

\echo '   Three invoice questions arrive by email.  support_app routes each to'
\echo '   Tier 2 with woes.route(conversation, team): the member with the fewest'
\echo '   open conversations below her capacity gets it; when nobody has room it'
\echo '   waits in the team''s queue (NULL).  An agent or operator tags them.'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT count(woes.receive_message('email', 'invoice-' || i || '@mail.test', 'ada' || i || '@example.com',
                                  'My invoice #' || i || ' is wrong', 'invoice-' || i || '@mail.test')) AS received
  FROM generate_series(1, 3) i;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
CREATE TEMP TABLE triaged ON COMMIT DROP AS
    SELECT c.id, c.number FROM woes.conversations c
     WHERE c.channel = 'email' AND c.thread_ref LIKE 'invoice-%' ORDER BY c.number;
SELECT t.number AS "#", (SELECT o.name FROM woes.operators o WHERE o.id = r.routed) AS routed_to
  FROM triaged t CROSS JOIN LATERAL (SELECT woes.route(t.id, :'tier2') AS routed) r
 ORDER BY t.number;
SELECT count(woes.tag(t.id, 'Billing')) AS tagged_billing, count(woes.tag(t.id, 'invoice')) AS tagged_invoice
  FROM triaged t;
COMMIT;

\echo '   What an operator sees (the assignee, the team, the tags, the loads):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT c.number AS "#", o.name AS assignee, tm.name AS team,
       (SELECT string_agg(tg.name, ', ' ORDER BY tg.name)
          FROM woes.conversation_tags ct JOIN woes.tags tg ON tg.workspace_id = ct.workspace_id AND tg.id = ct.tag_id
         WHERE ct.workspace_id = c.workspace_id AND ct.conversation_id = c.id) AS tags
  FROM woes.conversations c
  LEFT JOIN woes.operators o ON o.workspace_id = c.workspace_id AND o.id = c.assignee_id
  LEFT JOIN woes.teams tm ON tm.workspace_id = c.workspace_id AND tm.id = c.team_id
 WHERE c.channel = 'email' AND c.thread_ref LIKE 'invoice-%' ORDER BY c.number;
SELECT o.name AS operator, l.open_count
  FROM woes.operator_loads l JOIN woes.operators o ON o.workspace_id = l.workspace_id AND o.id = l.operator_id
 ORDER BY o.name;
\echo '   ... and the history and the events a notifier would send:'
SELECT c.number AS "#", a.actor_kind, coalesce(fo.name, '-') AS "from", coalesce(tt.name, '-') AS "to"
  FROM woes.assignments a
  JOIN woes.conversations c ON c.workspace_id = a.workspace_id AND c.id = a.conversation_id
  LEFT JOIN woes.operators fo ON fo.workspace_id = a.workspace_id AND fo.id = a.from_assignee_id
  LEFT JOIN woes.operators tt ON tt.workspace_id = a.workspace_id AND tt.id = a.to_assignee_id
 WHERE c.thread_ref LIKE 'invoice-%' ORDER BY a.id;
SELECT e.kind, count(*) FROM woes.events e
  JOIN woes.conversations c ON c.workspace_id = e.workspace_id AND c.id = e.conversation_id
 WHERE c.thread_ref LIKE 'invoice-%' AND e.kind IN ('conversation.assigned', 'conversation.tagged')
 GROUP BY e.kind ORDER BY e.kind;
COMMIT;

\echo '   What the customer of one of them sees: her conversation, no tags, no'
\echo '   assignment (they live where no customer policy reaches):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT i.contact_id AS ada1 FROM woes.identities i WHERE i.channel = 'email' AND i.external_id = 'ada1@example.com' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada1') \gset
SELECT number AS "#", status FROM woes.customer_conversations ORDER BY number;
SELECT (SELECT count(*) FROM woes.tags) AS tags_seen, (SELECT count(*) FROM woes.conversation_tags) AS conversation_tags_seen,
       (SELECT count(*) FROM woes.assignments) AS assignments_seen;
COMMIT;
RESET ROLE;

\echo
\echo '━━ 13. Custom fields and macros ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   Acme defines typed fields: a required priority (one of three options) and'
\echo '   the invoice number.  Every write is checked against the definition, the'
\echo '   API and a raw UPDATE alike, with an error naming the field and why:'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.define_field('priority', 'select', '["low", "normal", "high"]', required => true) \g /dev/null
SELECT woes.define_field('invoice_number', 'text') \g /dev/null
SELECT key, type, options, required FROM woes.field_definitions ORDER BY key;
SELECT (array_agg(c.id ORDER BY c.number))[1] AS inv1, (array_agg(c.id ORDER BY c.number))[2] AS inv2
  FROM woes.conversations c WHERE c.thread_ref LIKE 'invoice-%' \gset
SELECT woes.set_field(:'inv1', 'invoice_number', '"INV-1"') AS "set invoice_number";
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
\set ON_ERROR_STOP off
SELECT woes.set_field(:'inv1', 'priority', '"urgent"');
ROLLBACK;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
UPDATE woes.conversation_fields SET value = '42' WHERE key = 'invoice_number';
ROLLBACK;
\echo '   A conversation cannot be resolved while a required field is unset:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.resolve(:'inv1');
ROLLBACK;
\set ON_ERROR_STOP on

\echo '   A macro bundles what an operator does for a corrected invoice: a note, a'
\echo '   tag, the priority, a public reply, resolve.  It is checked when defined,'
\echo '   runs with the caller''s own rights, all or nothing, and says what it did:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.define_macro('Invoice corrected', '[
    {"action": "note", "body": "Corrected in billing."},
    {"action": "tag", "tag": "Corrected"},
    {"action": "set_field", "key": "priority", "value": "normal"},
    {"action": "reply", "body": "We corrected your invoice; the new one is in your account."},
    {"action": "transition", "status": "resolved", "reason": "invoice corrected"}]') IS NOT NULL AS defined;
SELECT jsonb_path_query(woes.apply_macro(:'inv1', 'invoice corrected'), '$[*]') - 'message_id' AS "what it did";
COMMIT;
\echo '   One failing action undoes them all, and the error names it (a macro that'
\echo '   assigns Linus to Billing, where he is no member):'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.define_macro('Escalate', jsonb_build_array(
    jsonb_build_object('action', 'tag', 'tag', 'Escalated'),
    jsonb_build_object('action', 'assign', 'operator', :'linus', 'team', :'billing'))) IS NOT NULL AS defined;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
\set ON_ERROR_STOP off
SELECT woes.apply_macro(:'inv2', 'Escalate');
\set ON_ERROR_STOP on
ROLLBACK;

\echo '   What the operator sees, beside what the customer sees:'
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT i.number AS "#", i.status, i.tags, woes.fields(i.id) AS fields
  FROM woes.inbox i WHERE i.id IN (:'inv1', :'inv2') ORDER BY i.number;
SELECT c.contact_id AS inv1_contact FROM woes.conversations c WHERE c.id = :'inv1' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'inv1_contact') \gset
SELECT number AS "#", status FROM woes.customer_conversations ORDER BY number;
SELECT author_kind, body FROM woes.customer_messages ORDER BY created_at, id;
SELECT woes.fields(:'inv1') AS "fields, as she reads them";
SELECT (SELECT count(*) FROM woes.conversation_fields) AS field_values_seen,
       (SELECT count(*) FROM woes.macros) AS macros_seen;
COMMIT;
RESET ROLE;

\echo
\echo '━━ 14. Linked issues ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   Two invoice conversations are the same bug in the tracker.  Linking the'
\echo '   same key twice gives one issue; woes.issue_impact says how many'
\echo '   conversations and customers it touches:'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT (array_agg(c.id ORDER BY c.number))[2] AS inv2, (array_agg(c.id ORDER BY c.number))[3] AS inv3
  FROM woes.conversations c WHERE c.thread_ref LIKE 'invoice-%' \gset
SELECT woes.link_issue(:'inv2', 'linear', 'BILL-7', 'https://linear.app/acme/issue/BILL-7',
                       'Invoice totals round the wrong way') AS bill7 \gset
SELECT woes.link_issue(:'inv3', 'Linear', 'BILL-7') = :'bill7' AS "same issue";
SELECT external_key, title, state, conversations_total, conversations_open, customers
  FROM woes.issue_impact WHERE workspace_id = :'acme';
COMMIT;
\echo '   The tracker''s webhook marks it done.  The outbox gets one event for the'
\echo '   issue and one per linked conversation still open: what a notifier needs'
\echo '   to tell each waiting customer that the fix shipped.'
BEGIN;
SELECT woes.set_context(:'acme', 'operator') \gset
SELECT woes.set_issue_state(:'bill7', 'done', provider_state => 'Done') AS changed;
SELECT e.kind, c.number AS "#", e.payload->>'from' AS "from", e.payload->>'to' AS "to"
  FROM woes.events e
  LEFT JOIN woes.conversations c ON c.workspace_id = e.workspace_id AND c.id = e.conversation_id
 WHERE e.kind IN ('issue.state_changed', 'conversation.issue_state_changed') ORDER BY e.id;
COMMIT;
RESET ROLE;

\echo
\echo '━━ 15. Merging a duplicate ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   The customer of the second invoice conversation writes again, in a new'
\echo '   email thread: a duplicate.  woes.merge moves its messages (ids kept),'
\echo '   tags, issues and fields into the original, closes the duplicate with a'
\echo '   pointer, and tells both streams:'
SET ROLE support_app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'grace') \gset
SELECT woes.receive_message('email', 'invoice-2-again@mail.test', 'ada2@example.com',
                            'Did you see my invoice mail?', 'invoice-2-again@mail.test') AS dup_message \gset
SELECT m.conversation_id AS dup FROM woes.messages m WHERE m.workspace_id = :'acme' AND m.id = :'dup_message' \gset
SELECT c.number AS "#", c.status, c.contact_id = o.contact_id AS "same customer"
  FROM woes.conversations c, woes.conversations o
 WHERE c.workspace_id = :'acme' AND o.workspace_id = :'acme' AND c.id = :'dup' AND o.id = :'inv2';
SELECT woes.merge(:'dup', :'inv2', reason => 'same invoice');
SELECT c.number AS "#", c.status, t.number AS "merged into"
  FROM woes.conversations c LEFT JOIN woes.conversations t ON t.workspace_id = c.workspace_id AND t.id = c.merged_into_id
 WHERE c.workspace_id = :'acme' AND c.id IN (:'dup', :'inv2') ORDER BY c.number;
SELECT e.kind, c.number AS "stream #", s.number AS "source #", t.number AS "target #"
  FROM woes.events e
  JOIN woes.conversations c ON c.workspace_id = e.workspace_id AND c.id = e.conversation_id
  JOIN woes.conversations s ON s.workspace_id = e.workspace_id AND s.id = (e.payload->>'source_id')::uuid
  JOIN woes.conversations t ON t.workspace_id = e.workspace_id AND t.id = (e.payload->>'target_id')::uuid
 WHERE e.workspace_id = :'acme' AND e.kind = 'conversation.merged' ORDER BY e.id;
\echo '   A reply to the duplicate''s thread lands in the original:'
SELECT woes.receive_message('email', 'invoice-2-again@mail.test', 'ada2@example.com',
                            'Thanks!', 'invoice-2-thanks@mail.test') AS thanks \gset
SELECT c.number AS "landed in #" FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.workspace_id = :'acme' AND m.id = :'thanks';
SELECT c.contact_id AS ada2 FROM woes.conversations c WHERE c.workspace_id = :'acme' AND c.id = :'inv2' \gset
COMMIT;
\echo '   What she sees: the duplicate closed, pointing to the original, and one thread:'
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'ada2') \gset
SELECT number AS "#", status, merged_into_id IS NOT NULL AS merged FROM woes.customer_conversations ORDER BY number;
SELECT author_kind, body FROM woes.customer_messages WHERE conversation_id = :'inv2' ORDER BY id;
COMMIT;
RESET ROLE;

\echo
\echo '━━ 16. Metrics for a BI tool ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   Every change above kept its metrics in the same write.  The BI role,'
\echo '   metabase (bound to Acme in chapter 10), reads them from the schema woes_bi:'
\echo '   plain types, a description on every column, no text anybody wrote.'
\c "user=metabase password=demo"
\set QUIET on
SELECT number AS "#", channel, status, first_response_seconds::int AS "first response s",
       first_human_response_seconds::int AS "first human s", reopen_count AS reopens,
       assignment_count AS assignments, resolved_by_automation AS "by bot"
  FROM woes_bi.conversation_metrics ORDER BY number;
SELECT channel, count(*) AS replies, round(avg(seconds)) AS "avg wait s" FROM woes_bi.response_times GROUP BY channel ORDER BY channel;
SELECT day, sum(assigned) AS assigned, sum(resolved) AS resolved, sum(reopened) AS reopened, sum(handed_off) AS "handed off"
  FROM woes_bi.routing_stats GROUP BY day ORDER BY day;
SELECT col_description('woes_bi.conversation_metrics'::regclass, 11) AS "what first_human_response_seconds means";
\c - postgres
\set QUIET on

-- New chapters go here, above the health check.


\echo
\echo '━━ Health check ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━'
\echo
\echo '   woes.doctor() checks the installation (woes_admin):'
SET ROLE helpdesk_admin;
SELECT "check", ok, detail FROM woes.doctor() ORDER BY "check";
RESET ROLE;

\echo '   It notices when somebody weakens a table (tried in a rolled-back transaction):'
BEGIN;
ALTER TABLE woes.agents NO FORCE ROW LEVEL SECURITY;
SELECT "check", ok, detail FROM woes.doctor() WHERE NOT ok;
ROLLBACK;

\echo
\echo 'Demo complete.'

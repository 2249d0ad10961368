-- Hardening: the holes an attacker's review found, each tried the way it
-- was found.  Every write below is made by app (a woes_service member)
-- unless the test says otherwise; results are read back as the superuser.
\set VERBOSITY terse
SELECT current_user AS su \gset
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS carol FROM woes.contacts WHERE name = 'Carol' \gset
SELECT id AS gina FROM woes.contacts WHERE name = 'Gina' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset
SELECT id AS gbot FROM woes.agents WHERE name = 'gbot' \gset

-- the planner's row estimate of a query
CREATE FUNCTION public.estimated_rows(query text) RETURNS bigint
    LANGUAGE plpgsql
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::bigint;
END;
$$;
GRANT EXECUTE ON FUNCTION public.estimated_rows(text) TO PUBLIC;

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.start_conversation(:'carol', 'api', 'hardening: handoff') AS conv \gset
SELECT woes.start_conversation(:'carol', 'api', 'hardening: snooze') AS sleepy \gset
SELECT woes.snooze(:'sleepy', now() + interval '1 minute');
COMMIT;

--------------------------------------------------------------------------
-- 1. row_security = off switches none of woes's rules off
--------------------------------------------------------------------------
-- a customer asks for a person with row_security off: the control changes
-- and its history row and event are written all the same
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SET LOCAL row_security = off;
SELECT woes.request_handoff(:'conv', 'a person, please');
COMMIT;
-- the wake-up with row_security off and no context (every workspace)
SET row_security = off;
SELECT woes.wake_snoozed(now() + interval '1 hour') > 0 AS woke_some;
RESET row_security;
-- a raw UPDATE with row_security off fails instead of skipping the rules
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SET LOCAL row_security = off;
SELECT try_sql(format('UPDATE woes.conversations SET status = %L WHERE id = %L', 'pending', :'conv'));
ROLLBACK;
RESET ROLE;
SELECT control FROM woes.conversations WHERE id = :'conv';
SELECT kind, actor_kind, actor_id = :'carol' AS by_carol, reason
  FROM woes.handoff_events WHERE conversation_id = :'conv' ORDER BY id;
SELECT status, snoozed_until IS NULL AS no_snooze_left FROM woes.conversations WHERE id = :'sleepy';
SELECT from_status, to_status, actor_kind, reason
  FROM woes.status_events WHERE conversation_id = :'sleepy' ORDER BY id;
-- a superuser (for whom row_security = off would mean a restore) calling
-- the API: the C status API, a SQL API function and the C intake all run
-- with row_security on, so their history and events are written
SET row_security = off;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT woes.resolve(:'conv', 'superuser, rules on');
SELECT woes.add_note(:'conv', 'a note by the superuser') IS NOT NULL AS noted;
SELECT woes.receive_message('api', 'hardening-su', 'su-sender', 'hello', 'hardening-su-1') IS NOT NULL AS received;
COMMIT;
RESET row_security;
SELECT from_status, to_status, reason FROM woes.status_events
 WHERE conversation_id = :'conv' ORDER BY id DESC LIMIT 1;
SELECT kind FROM woes.events WHERE conversation_id = :'conv' ORDER BY id;
SELECT c.status, count(s.*) AS history_rows, count(e.*) AS events
  FROM woes.conversations c
  LEFT JOIN woes.status_events s ON s.workspace_id = c.workspace_id AND s.conversation_id = c.id
  LEFT JOIN woes.events e ON e.workspace_id = c.workspace_id AND e.conversation_id = c.id
 WHERE c.thread_ref = 'hardening-su' GROUP BY c.status;

--------------------------------------------------------------------------
-- 2. The actor belongs to the workspace, on every path
--------------------------------------------------------------------------
SET ROLE app;
-- another workspace's operator as actor, by SET LOCAL: no write goes through
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'gus';
SELECT try_sql(format('SELECT woes.add_note(%L, %L)', :'conv', 'as gus'));
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L)', :'conv', 'operator', :'gus', 'raw, as gus'));
SELECT try_sql(format('SELECT woes.reopen(%L)', :'conv'));
SELECT try_sql(format('SELECT woes.take_over(%L)', :'conv'));
ROLLBACK;
-- an actor left over from another workspace's context
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SET LOCAL woes.workspace = :'acme';
SELECT try_sql(format('SELECT woes.add_note(%L, %L)', :'conv', 'left over'));
ROLLBACK;
-- another workspace's customer, and agent
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'customer';
SET LOCAL woes.actor = :'gina';
SELECT try_sql(format('SELECT woes.start_conversation(%L, %L)', :'gina', 'api'));
ROLLBACK;
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'agent';
SET LOCAL woes.actor = :'gbot';
SELECT try_sql(format('SELECT woes.reply(%L, %L, %L)', :'conv', 'as gbot', 'internal'));
ROLLBACK;
-- customer and agent audiences need an actor on every path, not only in
-- set_context
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'customer';
SELECT try_sql(format('INSERT INTO woes.conversations (channel, contact_id) VALUES (%L, %L)', 'api', :'carol'));
ROLLBACK;
-- checked again after every change of the context: right, wrong, right
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'ann';
SELECT woes.add_note(:'conv', 'as ann') IS NOT NULL AS ann_writes;
SET LOCAL woes.actor = :'gus';
SELECT try_sql(format('SELECT woes.add_note(%L, %L)', :'conv', 'as gus again'));
SET LOCAL woes.actor = :'ann';
SELECT woes.add_note(:'conv', 'as ann again') IS NOT NULL AS ann_writes_again;
ROLLBACK;
-- with a valid context, an operator still cannot name someone of another
-- workspace as a message's author (of any kind) or a trace's
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, visibility)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'conv', 'operator', :'gus', 'x', 'internal'));
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, visibility)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'conv', 'agent', :'gbot', 'x', 'internal'));
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L)', :'conv', 'customer', :'gina', 'x'));
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L)', :'conv', 'system', :'gus', 'x'));
-- its own workspace's people are fine
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, visibility)
VALUES (:'conv', 'agent', :'bot_a', 'a suggestion, recorded by ann', 'internal') RETURNING id AS bot_msg \gset
-- a trace's author is its message's: filled in, and no other accepted
SELECT try_sql(format('INSERT INTO woes.message_traces (message_id, author_id, trace) VALUES (%L, %L, %L)',
                      :'bot_msg', :'gbot', '{}'));
INSERT INTO woes.message_traces (message_id, trace) VALUES (:'bot_msg', '{"step": 1}')
RETURNING author_id = :'bot_a' AS author_from_message;
ROLLBACK;
RESET ROLE;
-- nothing of it was written
SELECT count(*) AS foreign_authors FROM woes.messages m
 WHERE m.workspace_id = :'acme' AND m.author_id IN (:'gus', :'gina', :'gbot');
SELECT count(*) AS foreign_actors FROM woes.status_events s
 WHERE s.workspace_id = :'acme' AND s.actor_id IN (:'gus', :'gina', :'gbot');

--------------------------------------------------------------------------
-- 3. Pooled application roles cannot be bound (see 10_context for the
--    session-level context itself)
--------------------------------------------------------------------------
SET ROLE boss;
SELECT try_sql(format('SELECT woes.bind_role(%L, %L, %L, %L)', 'app', :'acme', 'operator', :'ann'));
RESET ROLE;
SELECT count(*) AS app_settings FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
 WHERE r.rolname = 'app';

-- The ways around the commit check (see 10_context for the check itself)
-- are closed when the next transaction first reads the context.
-- A session SET made before the woes library is loaded in the session: the
-- value waits as a placeholder, and is discarded when the library loads.
\c - app
SET woes.workspace = :'acme';
SET woes.audience = 'operator';
SELECT count(*) AS visible FROM woes.conversations;
SELECT woes.current_workspace() IS NULL AS no_workspace, woes.current_audience() IS NULL AS no_audience;
-- a session woes.reason would end up in the next client's history
SET woes.reason = 'from an earlier client';
SELECT current_setting('woes.reason') = '' AS no_session_reason;
-- a prepared transaction ends like a commit
BEGIN;
SET woes.workspace = :'acme';
PREPARE TRANSACTION 'woes_session_context';
SELECT count(*) AS prepared FROM pg_prepared_xacts WHERE gid = 'woes_session_context';
SELECT woes.current_workspace() IS NULL AS no_workspace;
-- per-role defaults a woes_service member gives itself
ALTER ROLE app IN DATABASE contrib_regression SET woes.workspace = :'acme';
ALTER ROLE app IN DATABASE contrib_regression SET woes.audience = 'operator';
\c - app
SELECT count(*) AS visible FROM woes.conversations WHERE workspace_id = :'acme';
SELECT woes.current_workspace() IS NULL AS no_workspace;
-- (discarded for the session: a transaction after it starts clean)
SELECT count(*) AS visible_later FROM woes.conversations WHERE workspace_id = :'acme';
\c - app
-- changed by the transaction before anything read it: refused
BEGIN;
SET LOCAL woes.audience = 'customer';
SELECT try_sql('SELECT count(*) FROM woes.conversations');
ROLLBACK;
-- set_context judges what it replaces first
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT count(*) > 0 AS visible_with_context FROM woes.conversations;
COMMIT;
ALTER ROLE app IN DATABASE contrib_regression RESET woes.workspace;
ALTER ROLE app IN DATABASE contrib_regression RESET woes.audience;
\c - :su
-- a bound role that is not a woes_service member keeps its defaults: see
-- 10_context (role bindings)

--------------------------------------------------------------------------
-- 4. Ids are made by woes
--------------------------------------------------------------------------
SET ROLE app;
-- a customer of globex makes a conversation with acme's conversation's id
BEGIN;
SELECT woes.set_context(:'globex', 'customer', :'gina');
SELECT try_sql(format('INSERT INTO woes.conversations (id, channel, contact_id) VALUES (%L, %L, %L)',
                      :'conv', 'api', :'gina'));
ROLLBACK;
-- operators neither, on any table (COPY FROM is refused under row-level
-- security altogether)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql(format('INSERT INTO woes.contacts (id, name) VALUES (%L, %L)', :'gina', 'gina again'));
SELECT try_sql(format('INSERT INTO woes.messages (id, conversation_id, author_kind, body)'
                      ' VALUES (woes.uuid_generate_v7(), %L, %L, %L)', :'conv', 'system', 'x'));
SELECT try_sql(format('INSERT INTO woes.participants (id, conversation_id, kind, contact_id)'
                      ' VALUES (%L, %L, %L, %L)', :'gus', :'conv', 'customer', :'carol'));
SELECT try_sql(format('INSERT INTO woes.teams (id, name) VALUES (%L, %L)', :'gus', 'team gus'));
SAVEPOINT before_copy;
-- (one row with an id of its choosing; the program may find the pipe closed
-- already when the server refuses at once)
\copy woes.contacts (id, name) from program 'trap "" PIPE; echo 01a00000-0000-7000-8000-000000000001,copied 2>/dev/null; exit 0' with (format csv)
ROLLBACK TO before_copy;
-- DEFAULT, NULL and leaving it out all get a new v7 id from woes
INSERT INTO woes.contacts (id, name) VALUES (DEFAULT, 'defaulted'), (NULL, 'nulled')
RETURNING woes.uuid_v7_time(id) IS NOT NULL AS v7;
INSERT INTO woes.contacts (name) VALUES ('left out') RETURNING woes.uuid_v7_time(id) IS NOT NULL AS v7;
ROLLBACK;
RESET ROLE;
-- the admin audience may import rows with their ids
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
INSERT INTO woes.contacts (id, name) VALUES ('01a00000-0000-7000-8000-000000000002', 'imported')
RETURNING id;
ROLLBACK;
RESET ROLE;

--------------------------------------------------------------------------
-- 5. Free text stays out of the planner's statistics
--------------------------------------------------------------------------
-- 300 copies of a note in globex; a customer of acme guesses its text
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SELECT woes.start_conversation(:'gina', 'api', 'stats') AS gconv \gset
INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body)
SELECT :'gconv', 'operator', :'gus', 'internal', 'refund plan for the big account'
  FROM generate_series(1, 300);
COMMIT;
ANALYZE woes.messages;
ANALYZE woes.conversations;
ANALYZE woes.contacts;
ANALYZE woes.events;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT public.estimated_rows($$SELECT * FROM woes.messages WHERE body = 'refund plan for the big account'$$)
     = public.estimated_rows($$SELECT * FROM woes.messages WHERE body = 'no such text anywhere'$$)
    AS same_estimate;
COMMIT;
RESET ROLE;
-- every text, jsonb and array column has statistics target 0, except the
-- names of a fixed set (channels and kinds)
SELECT c.relname, a.attname
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
   AND (a.atttypid IN ('text'::regtype, 'jsonb'::regtype) OR a.attndims > 0)
   AND a.attstattarget IS DISTINCT FROM 0
 ORDER BY 1, 2;
SELECT count(*) AS free_text_statistics FROM pg_stats
 WHERE schemaname = 'woes' AND attname IN ('body', 'subject', 'name', 'email', 'payload', 'trace', 'reason');
-- and the self-check watches all three
SELECT "check", ok FROM woes.doctor()
 WHERE "check" IN ('rules_pinned', 'ids_made_by_woes', 'free_text_statistics') ORDER BY 1;
-- a DBA's later change shows there
ALTER TABLE woes.messages ALTER COLUMN body SET STATISTICS 100;
SELECT "check", ok, detail FROM woes.doctor() WHERE "check" = 'free_text_statistics';
ALTER TABLE woes.messages ALTER COLUMN body SET STATISTICS 0;

--------------------------------------------------------------------------
-- 6. Intake arguments the fuzz test found reaching a constraint: a thread
--    key over 1000 characters, or over 1000 bytes, and an email whose
--    Message-ID is only blanks and brackets
--------------------------------------------------------------------------
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT try_sql($$SELECT woes.receive_message('live_chat', repeat('r', 1001), 'visitor-fz', 'hi', 'fz-1')$$);
SELECT try_sql($$SELECT woes.receive_message('live_chat', repeat('é', 600), 'visitor-fz', 'hi', 'fz-2')$$);
SELECT try_sql($$SELECT woes.receive_message('email', '<' || repeat('k', 1001) || '@x>', 'a@example.test', 'hi', 'fz-3')$$);
SELECT woes.receive_message('live_chat', repeat('r', 1000), 'visitor-fz', 'hi', 'fz-4') IS NOT NULL AS longest_key_ok;
SELECT woes.receive_message('email', NULL, 'a@example.test', 'hi', '<>') IS NOT NULL AS blank_message_id_ok;
SELECT woes.receive_message('email', NULL, 'a@example.test', 'hi', ' < > ') IS NOT NULL AS blank_message_id_ok;
ROLLBACK;
RESET ROLE;

DROP FUNCTION public.estimated_rows(text);

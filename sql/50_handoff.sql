-- Handoff and the events outbox: who controls a conversation at creation,
-- request_handoff / take_over / release_to_automation and who may call them,
-- the automation stop point and the implicit takeover (held by the message
-- trigger), closed conversations, raw UPDATEs of control (held by the
-- lifecycle trigger), the handoff history and the outbox rows (no message
-- text in any payload), events_since (audiences, bounds, READ COMMITTED only,
-- workspace isolation, cursor paging) and the resolved_conversations export.
-- Concurrency (two takeovers, out-of-order commits, NOTIFY) is in the
-- isolation specs 50_handoff_two_takeovers, 55_events_out_of_order,
-- 55_events_notify_ids_only.
\set VERBOSITY terse
-- errors inside a transaction roll back to just before the statement
\set ON_ERROR_ROLLBACK on
-- the woes type operators live in schema woes, like any extension's
SET search_path = public, woes;

-- h50_try(statement): 'ok', or the SQLSTATE, message, detail and hint of the
-- error the statement raised (uuids masked).  Runs as the caller.
CREATE FUNCTION public.h50_try(statement text) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    st text;
    msg text;
    det text;
    hin text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                            det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT;
    RETURN regexp_replace(st || ': ' || msg
                          || CASE WHEN det <> '' THEN ' | DETAIL: ' || det ELSE '' END
                          || CASE WHEN hin <> '' THEN ' | HINT: ' || hin ELSE '' END,
                          '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
END;
$$;

-- h50_history(conversation, names): the conversation's handoff history, one
-- line per row (kind from>to by actor_kind(actor), holder after, reason), in
-- order; names maps the test's uuids to names.  Runs as the caller.
-- (PL/pgSQL, not SQL: Citus cannot plan an SQL function's parameters.)
CREATE FUNCTION public.h50_history(conv uuid, names jsonb) RETURNS SETOF text
    LANGUAGE plpgsql
AS $$
BEGIN
RETURN QUERY
SELECT format('%s %s>%s by %s(%s) holder=%s reason=%s', h.kind, h.from_control, h.to_control, h.actor_kind,
              coalesce(names ->> h.actor_id::text, CASE WHEN h.actor_id IS NULL THEN '-' ELSE '?' END),
              coalesce(names ->> h.operator_id::text, CASE WHEN h.operator_id IS NULL THEN '-' ELSE '?' END),
              coalesce(h.reason, '-'))
  FROM woes.handoff_events h WHERE h.conversation_id = conv ORDER BY h.id;
END;
$$;

-- h50_kinds(conversation): the conversation's outbox kinds, in id order
CREATE FUNCTION public.h50_kinds(conv uuid) RETURNS text
    LANGUAGE plpgsql
AS $$
BEGIN
RETURN (SELECT string_agg(e.kind, ', ' ORDER BY e.id) FROM woes.events e WHERE e.conversation_id = conv);
END;
$$;

-- h50_page_all(size): follow the cursor through events_since in pages of
-- size; the ids received, in order, and how many calls it took
CREATE FUNCTION public.h50_page_all(size integer, OUT calls integer, OUT ids bigint[])
    LANGUAGE plpgsql
AS $$
DECLARE
    cur bigint := 0;
    got bigint[];
BEGIN
    calls := 0;
    ids := '{}';
    LOOP
        calls := calls + 1;
        SELECT coalesce(array_agg(e.id ORDER BY e.id), '{}') INTO got FROM woes.events_since(cur, size) e;
        EXIT WHEN cardinality(got) = 0;
        IF cardinality(got) > size THEN
            RAISE EXCEPTION 'page of % rows for max %', cardinality(got), size;
        END IF;
        ids := ids || got;
        cur := got[cardinality(got)];
    END LOOP;
END;
$$;

SET ROLE app;
SELECT woes.create_workspace('handoff', 'Handoff Inc') AS ws \gset
SELECT woes.create_workspace('handoff-other', 'Other Handoff Inc') AS other \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Olga', 'olga@handoff.test') AS olga \gset
SELECT woes.add_operator('Pete', 'pete@handoff.test') AS pete \gset
SELECT woes.upsert_contact('live_chat', 'visitor-carol', 'Carol') AS carol \gset
SELECT woes.upsert_contact('live_chat', 'visitor-dave', 'Dave') AS dave \gset
COMMIT;

--------------------------------------------------------------------------
-- Control at creation: automation only when an active agent serves the
-- channel (an agent serves every channel unless limited to some).
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
-- no agent at all: an operator's
SELECT woes.start_conversation(:'carol', 'live_chat', 'Re: no agent yet') AS c_noagent \gset
-- an agent limited to live_chat, and an inactive agent for email
SELECT woes.add_agent('chat-bot', '{live_chat}') AS bot \gset
SELECT woes.add_agent('mail-bot', '{email}') AS mailbot \gset
SELECT jsonb_build_object(:'olga', 'olga', :'pete', 'pete', :'bot', 'bot', :'carol', 'carol', :'dave', 'dave')
       AS names \gset
UPDATE woes.agents SET active = false WHERE id = :'mailbot';
SELECT woes.start_conversation(:'carol', 'live_chat', 'Re: chat') AS c_chat \gset
SELECT woes.start_conversation(:'carol', 'email', 'Re: mail') AS c_mail \gset
SELECT woes.start_conversation(:'carol', 'discord', 'Re: discord') AS c_discord \gset
SELECT subject, channel, control, controller_id IS NULL AS no_holder
  FROM woes.conversations WHERE id IN (:'c_noagent', :'c_chat', :'c_mail', :'c_discord') ORDER BY number;
-- the creation event says how it started
SELECT e.payload ->> 'channel' AS channel, e.payload ->> 'control' AS control
  FROM woes.events e WHERE e.kind = 'conversation.created'
   AND e.conversation_id IN (:'c_noagent', :'c_chat', :'c_mail', :'c_discord') ORDER BY e.id;
-- the mail bot activated: email starts under automation; an agent with no
-- channel limit serves discord too
UPDATE woes.agents SET active = true WHERE id = :'mailbot';
SELECT woes.add_agent('any-bot') AS anybot \gset
SELECT woes.start_conversation(:'carol', 'email', 'Re: mail again') AS c_mail2 \gset
SELECT woes.start_conversation(:'carol', 'discord', 'Re: discord again') AS c_discord2 \gset
SELECT subject, control FROM woes.conversations WHERE id IN (:'c_mail2', :'c_discord2') ORDER BY number;
-- back to: chat-bot on live_chat only, mail-bot inactive, no any-bot
UPDATE woes.agents SET active = false WHERE id IN (:'mailbot', :'anybot');
COMMIT;

--------------------------------------------------------------------------
-- request_handoff: by the agent, by the customer (its own conversation
-- only), by an operator; not by an analyst.  Only automation can be
-- stopped: anywhere else it is a no-op.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.start_conversation(:'carol', 'live_chat', 'Re: by agent', 'BODY-A1 my card was charged twice') AS c1 \gset
SELECT woes.start_conversation(:'carol', 'live_chat', 'Re: by customer', 'BODY-B1 where is my parcel') AS c2 \gset
SELECT woes.start_conversation(:'dave', 'live_chat', 'Re: by operator', 'BODY-C1 cannot log in') AS c3 \gset
SELECT woes.start_conversation(:'dave', 'live_chat', 'Re: analyst') AS c4 \gset
COMMIT;
-- the agent answers, then asks for a person
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'c1', 'BODY-A2 let me check that for you') IS NOT NULL AS answered;
SELECT woes.request_handoff(:'c1', 'refund over the limit');
SELECT control, controller_id IS NULL AS no_holder FROM woes.conversations WHERE id = :'c1';
-- again: a no-op, no second history row
SELECT woes.request_handoff(:'c1', 'again');
SELECT * FROM h50_history(:'c1', :'names');
COMMIT;
-- the customer asks for a person in its own conversation ...
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'carol');
SELECT woes.request_handoff(:'c2', 'I want a human');
-- ... but not in another contact's: not found (no hint that it exists)
SELECT h50_try(format('SELECT woes.request_handoff(%L)', :'c3')) AS carol_asks_in_daves;
COMMIT;
-- an operator can stop automation too; an analyst cannot
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'pete');
SELECT woes.request_handoff(:'c3');
SELECT woes.set_context(:'ws', 'analyst');
SELECT h50_try(format('SELECT woes.request_handoff(%L)', :'c4')) AS analyst_asks;
-- unknown ids and other workspaces' conversations are not found; NULL is refused
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try($$SELECT woes.request_handoff('00000000-0000-7000-8000-000000000000')$$) AS unknown;
SELECT h50_try('SELECT woes.request_handoff(NULL)') AS null_id;
SELECT woes.set_context(:'other', 'operator');
SELECT h50_try(format('SELECT woes.request_handoff(%L)', :'c4')) AS other_workspace;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT subject, control FROM woes.conversations WHERE id IN (:'c1', :'c2', :'c3', :'c4') ORDER BY number;
SELECT * FROM h50_history(:'c2', :'names');
SELECT * FROM h50_history(:'c3', :'names');
SELECT count(*) AS c4_history FROM woes.handoff_events WHERE conversation_id = :'c4';
COMMIT;

--------------------------------------------------------------------------
-- The automation stop point: once a person is asked for, the agent's public
-- answer is refused (with the reason and a hint); an internal suggestion is
-- still allowed, and nothing of the refused message is written.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try(format($$SELECT woes.reply(%L, 'BODY-A3 refused answer',
                                          grounding => '[{"url": "https://help.test/refunds"}]')$$, :'c1'))
       AS agent_answers;
-- a raw INSERT is held by the same trigger
SELECT h50_try(format($$INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
                        VALUES (%L, 'agent', %L, 'BODY-A4 refused raw answer')$$, :'c1', :'bot'))
       AS agent_inserts;
SELECT woes.reply(:'c1', 'BODY-A5 suggestion: refund 20 EUR', 'internal') IS NOT NULL AS suggested;
SELECT woes.add_note(:'c1', 'BODY-A6 the customer sounds upset') IS NOT NULL AS noted;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT author_kind, visibility, body FROM woes.messages WHERE conversation_id = :'c1' ORDER BY created_at, id;
COMMIT;

--------------------------------------------------------------------------
-- take_over: an operator (with its id as the actor) takes it; again is a
-- no-op for the holder; another operator is told who has it.
--------------------------------------------------------------------------
BEGIN;
-- only operators (and admins) take over, and only as themselves
SELECT woes.set_context(:'ws', 'operator');
SELECT h50_try(format('SELECT woes.take_over(%L)', :'c1')) AS operator_without_actor;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try(format('SELECT woes.take_over(%L)', :'c1')) AS agent_takes_over;
SELECT woes.set_context(:'ws', 'customer', :'carol');
SELECT h50_try(format('SELECT woes.take_over(%L)', :'c1')) AS customer_takes_over;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.take_over(:'c1');
SELECT control, controller_id = :'olga' AS held_by_olga FROM woes.conversations WHERE id = :'c1';
SELECT woes.take_over(:'c1');
SELECT woes.set_context(:'ws', 'operator', :'pete');
SELECT h50_try(format('SELECT woes.take_over(%L)', :'c1')) AS pete_takes_over;
SELECT control, controller_id = :'olga' AS held_by_olga FROM woes.conversations WHERE id = :'c1';
-- a request for a person once a person has it changes nothing
SELECT woes.set_context(:'ws', 'customer', :'carol');
SELECT woes.request_handoff(:'c1', 'hello?');
-- the stop point holds after a takeover too
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try(format($$SELECT woes.reply(%L, 'BODY-A7 refused after takeover')$$, :'c1')) AS agent_answers;
SELECT woes.reply(:'c1', 'BODY-A8 suggestion after takeover', 'internal') IS NOT NULL AS suggested;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT * FROM h50_history(:'c1', :'names');
COMMIT;
-- a takeover straight from automation (no request first)
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'pete');
SELECT woes.take_over(:'c4');
SELECT control, controller_id = :'pete' AS held_by_pete FROM woes.conversations WHERE id = :'c4';
SELECT * FROM h50_history(:'c4', :'names');
COMMIT;

--------------------------------------------------------------------------
-- The implicit takeover: an operator's public reply takes the conversation
-- (reason operator_reply); an operator's note does not.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'pete');
-- c2 waits for a person (the customer asked); a note leaves it waiting
SELECT woes.add_note(:'c2', 'BODY-B2 looking into it') IS NOT NULL AS noted;
SELECT control FROM woes.conversations WHERE id = :'c2';
SELECT woes.reply(:'c2', 'BODY-B3 hi Carol, Pete here') IS NOT NULL AS replied;
SELECT control, controller_id = :'pete' AS held_by_pete FROM woes.conversations WHERE id = :'c2';
COMMIT;
BEGIN;
-- (started by the backend: the first message is the customer's)
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.start_conversation(:'dave', 'live_chat', 'Re: implicit', 'BODY-D1 the app crashes') AS c5 \gset
SELECT woes.set_context(:'ws', 'operator', :'olga');
-- under automation: a note leaves it to the agent, a public reply takes it
SELECT woes.add_note(:'c5', 'BODY-D2 known bug') IS NOT NULL AS noted;
SELECT control FROM woes.conversations WHERE id = :'c5';
SELECT woes.reply(:'c5', 'BODY-D3 a fix is coming') IS NOT NULL AS replied;
SELECT control, controller_id = :'olga' AS held_by_olga FROM woes.conversations WHERE id = :'c5';
-- the holder's further replies change nothing
SELECT woes.reply(:'c5', 'BODY-D4 update: fixed') IS NOT NULL AS replied;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT * FROM h50_history(:'c2', :'names');
SELECT * FROM h50_history(:'c5', :'names');
COMMIT;

--------------------------------------------------------------------------
-- release_to_automation: operators only; needs an active agent serving the
-- channel; the holder is cleared and the agent may answer again.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try(format('SELECT woes.release_to_automation(%L)', :'c5')) AS agent_releases;
SELECT woes.set_context(:'ws', 'customer', :'dave');
SELECT h50_try(format('SELECT woes.release_to_automation(%L)', :'c5')) AS customer_releases;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.release_to_automation(:'c5');
SELECT control, controller_id IS NULL AS no_holder FROM woes.conversations WHERE id = :'c5';
-- already under automation: a no-op
SELECT woes.release_to_automation(:'c5');
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'c5', 'BODY-D5 anything else?') IS NOT NULL AS agent_answers_again;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
-- email has no active agent (mail-bot is inactive): refused
SELECT woes.take_over(:'c_mail');
SELECT h50_try(format('SELECT woes.release_to_automation(%L)', :'c_mail')) AS release_email;
-- nor does live_chat once chat-bot is deactivated
UPDATE woes.agents SET active = false WHERE id = :'bot';
SELECT h50_try(format('SELECT woes.release_to_automation(%L)', :'c1')) AS release_chat_no_bot;
UPDATE woes.agents SET active = true WHERE id = :'bot';
SELECT control FROM woes.conversations WHERE id IN (:'c_mail', :'c1') ORDER BY number;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT * FROM h50_history(:'c5', :'names');
SELECT * FROM h50_history(:'c_mail', :'names');
COMMIT;

--------------------------------------------------------------------------
-- A closed conversation's control is final, on every path.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.start_conversation(:'dave', 'live_chat', 'Re: to be closed') AS c6 \gset
SELECT woes.close(:'c6');
SELECT h50_try(format('SELECT woes.request_handoff(%L)', :'c6')) AS request;
SELECT h50_try(format('SELECT woes.take_over(%L)', :'c6')) AS take_over;
SELECT h50_try(format('SELECT woes.release_to_automation(%L)', :'c6')) AS release;
SELECT h50_try(format($$UPDATE woes.conversations SET control = 'operator' WHERE id = %L$$, :'c6')) AS raw_update;
SELECT woes.set_context(:'ws', 'customer', :'dave');
SELECT h50_try(format('SELECT woes.request_handoff(%L)', :'c6')) AS customer_request;
SELECT woes.set_context(:'ws', 'operator');
SELECT control, count(h.*) AS history FROM woes.conversations c
  LEFT JOIN woes.handoff_events h ON h.workspace_id = c.workspace_id AND h.conversation_id = c.id
 WHERE c.id = :'c6' GROUP BY control;
COMMIT;

--------------------------------------------------------------------------
-- A raw UPDATE of control is held by the lifecycle trigger: history and
-- outbox are written, the holder is the acting operator, woes.reason is
-- recorded, and a takeover of one holder by another is recorded too.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.start_conversation(:'dave', 'live_chat', 'Re: raw') AS c7 \gset
SET LOCAL woes.reason = 'bulk: stop the bot';
UPDATE woes.conversations SET control = 'handoff_requested' WHERE id = :'c7';
RESET woes.reason;
UPDATE woes.conversations SET control = 'operator' WHERE id = :'c7';
SELECT control, controller_id = :'olga' AS held_by_olga FROM woes.conversations WHERE id = :'c7';
UPDATE woes.conversations SET controller_id = :'pete' WHERE id = :'c7';
-- a holder only while under operator: releasing clears it
UPDATE woes.conversations SET control = 'automation' WHERE id = :'c7';
SELECT control, controller_id IS NULL AS no_holder FROM woes.conversations WHERE id = :'c7';
UPDATE woes.conversations SET controller_id = :'pete' WHERE id = :'c7';
SELECT control, controller_id IS NULL AS no_holder FROM woes.conversations WHERE id = :'c7';
-- an update that leaves control alone writes no history
UPDATE woes.conversations SET subject = 'Re: raw, renamed' WHERE id = :'c7';
SELECT * FROM h50_history(:'c7', :'names');
SELECT h50_kinds(:'c7') AS outbox;
COMMIT;
-- handoff history cannot be forged or edited, not even by an admin
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
INSERT INTO woes.handoff_events (workspace_id, conversation_id, kind, from_control, to_control, actor_kind)
VALUES (:'ws', :'c7', 'released', 'operator', 'automation', 'system');
UPDATE woes.handoff_events SET reason = 'forged';
DELETE FROM woes.handoff_events;
INSERT INTO woes.events (workspace_id, kind) VALUES (:'ws', 'handoff.released');
UPDATE woes.events SET payload = '{}';
DELETE FROM woes.events;
ROLLBACK;
SET ROLE app;

--------------------------------------------------------------------------
-- The outbox: one event per change, in the order they happened; payloads
-- hold ids and labels, never what was said.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
-- (the conversations first: on Citus, h50_kinds then runs here, not on a shard)
WITH c AS MATERIALIZED (SELECT id, number, subject FROM woes.conversations WHERE id IN (:'c1', :'c2', :'c5'))
SELECT subject, h50_kinds(id) AS outbox FROM c ORDER BY number;
-- handoff payloads: from, to, and the holder after a takeover
SELECT e.kind, e.payload ->> 'from' AS "from", e.payload ->> 'to' AS "to",
       CASE WHEN e.payload ? 'operator_id' THEN (e.payload ->> 'operator_id')::uuid = :'olga' END AS olga
  FROM woes.events e WHERE e.conversation_id = :'c1' AND e.kind LIKE 'handoff.%' ORDER BY e.id;
-- message events: ids, author kind and visibility; one per message
SELECT e.payload ->> 'author_kind' AS author_kind, e.payload ->> 'visibility' AS visibility,
       (e.payload ->> 'message_id')::uuid = m.id AS same_message
  FROM woes.events e
  JOIN woes.messages m ON m.workspace_id = e.workspace_id AND m.id = (e.payload ->> 'message_id')::uuid
 WHERE e.conversation_id = :'c1' AND e.kind = 'message.created' ORDER BY e.id;
SELECT (SELECT count(*) FROM woes.messages) AS messages,
       (SELECT count(*) FROM woes.events WHERE kind = 'message.created') AS message_events;
-- no payload carries any message body or subject (bodies are all BODY-...,
-- subjects all Re: ...)
SELECT count(*) AS messages_checked,
       count(*) FILTER (WHERE m.body LIKE 'BODY-%') AS marked_bodies
  FROM woes.messages m;
SELECT count(*) AS payloads_with_text
  FROM woes.events e, woes.messages m
 WHERE e.workspace_id = m.workspace_id
   AND (strpos(e.payload::text, m.body) > 0 OR strpos(e.payload::text, split_part(m.body, ' ', 1)) > 0);
SELECT count(*) AS subjects_checked, count(*) FILTER (WHERE c.subject LIKE 'Re: %') AS marked_subjects
  FROM woes.conversations c;
SELECT count(*) AS payloads_with_subject
  FROM woes.events e, woes.conversations c
 WHERE e.workspace_id = c.workspace_id
   AND (strpos(e.payload::text, c.subject) > 0 OR strpos(e.payload::text, 'Re: ') > 0);
SELECT count(*) AS payloads_with_reason FROM woes.events e
 WHERE e.payload::text LIKE '%refund%' OR e.payload::text LIKE '%human%' OR e.payload::text LIKE '%bulk%';
-- every handoff history row has its outbox event: per conversation and kind,
-- as many handoff.<kind> events as history rows
SELECT (SELECT count(*) FROM woes.handoff_events) AS history_rows,
       (SELECT count(*) FROM woes.events WHERE kind LIKE 'handoff.%') AS handoff_events,
       (SELECT count(*)
          FROM (SELECT conversation_id, 'handoff.' || kind AS k, count(*) AS n
                  FROM woes.handoff_events GROUP BY 1, 2) h
          FULL JOIN (SELECT conversation_id, kind AS k, count(*) AS n
                       FROM woes.events WHERE kind LIKE 'handoff.%' GROUP BY 1, 2) e
         USING (conversation_id, k)
         WHERE h.n IS DISTINCT FROM e.n) AS mismatches;
COMMIT;

--------------------------------------------------------------------------
-- events_since: operators and admins (the backend) only; max between 1 and
-- 100000; READ COMMITTED only; one workspace; pages reach everything.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try('SELECT woes.events_since(0, 10)') AS agent;
SELECT count(*) AS agent_sees_in_table FROM woes.events;
SELECT woes.set_context(:'ws', 'customer', :'carol');
SELECT h50_try('SELECT woes.events_since(0, 10)') AS customer;
SELECT count(*) AS customer_sees_in_table FROM woes.events;
SELECT woes.set_context(:'ws', 'analyst');
SELECT h50_try('SELECT woes.events_since(0, 10)') AS analyst;
SELECT woes.clear_context();
SELECT h50_try('SELECT woes.events_since(0, 10)') AS no_context;
SELECT woes.set_context(:'ws', 'operator');
SELECT h50_try('SELECT woes.events_since(0, 0)') AS max_0;
SELECT h50_try('SELECT woes.events_since(0, -1)') AS max_negative;
SELECT h50_try('SELECT woes.events_since(0, 100001)') AS over_max;
SELECT h50_try('SELECT woes.events_since(0, NULL)') AS max_null;
SELECT count(*) AS at_max FROM woes.events_since(0, 100000);
SELECT count(*) AS one FROM woes.events_since(0, 1);
SELECT count(*) = (SELECT count(*) FROM woes.events) AS default_max_covers_all FROM woes.events_since(0);
-- everything below the horizon, in id order, this workspace only
SELECT count(*) = (SELECT count(*) FROM woes.events) AS all_events,
       bool_and(workspace_id = :'ws') AS this_workspace_only,
       min(id) > 0 AS ids_positive
  FROM woes.events_since(NULL, 100000);
SELECT array_agg(id ORDER BY id) = array_agg(id) AS in_id_order FROM woes.events_since(0, 100000);
-- nothing in flight: the horizon is past every id
SELECT woes.event_horizon() > (SELECT max(id) FROM woes.events) AS horizon_past_all;
-- the cursor is exclusive
SELECT (SELECT min(id) FROM woes.events) AS first_id \gset
SELECT count(*) = (SELECT count(*) - 1 FROM woes.events) AS after_first FROM woes.events_since(:first_id, 100000);
SELECT count(*) AS past_the_end FROM woes.events_since((SELECT max(id) FROM woes.events), 100000);
COMMIT;
-- pages of 2 reach every event, each exactly once, in order
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT p.calls = (cardinality(p.ids) + 1) / 2 + 1 AS calls_as_expected,
       p.ids = (SELECT array_agg(id ORDER BY id) FROM woes.events) AS every_event_once
  FROM h50_page_all(2) p;
SELECT cardinality(p.ids) = (SELECT count(DISTINCT id) FROM woes.events) AS no_duplicates FROM h50_page_all(3) p;
COMMIT;
-- admins read it too
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT count(*) AS ws_events FROM woes.events WHERE workspace_id = :'ws' \gset
SELECT count(*) = :ws_events AS admin_reads_all FROM woes.events_since(0, 100000);
COMMIT;
SET ROLE app;
-- REPEATABLE READ and SERIALIZABLE could skip events: refused
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT woes.set_context(:'ws', 'operator');
SELECT h50_try('SELECT woes.events_since(0, 10)') AS repeatable_read;
SELECT h50_try('SELECT woes.resolved_conversations(0, 10)') AS export_repeatable_read;
COMMIT;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SELECT woes.set_context(:'ws', 'operator');
SELECT h50_try('SELECT woes.events_since(0, 10)') AS serializable;
COMMIT;
-- the other workspace: its own events only, none of ours
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT woes.upsert_contact('api', 'other-1') AS oc \gset
SELECT woes.start_conversation(:'oc', 'api', 'Re: elsewhere', 'BODY-O1 other workspace') AS oconv \gset
SELECT count(*) AS other_events, bool_and(workspace_id = :'other') AS own_only,
       count(*) FILTER (WHERE conversation_id = :'c1') AS ours
  FROM woes.events_since(0, 100000);
SELECT count(*) AS ours_by_table FROM woes.events WHERE workspace_id = :'ws';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT count(*) FILTER (WHERE conversation_id = :'oconv') AS theirs,
       bool_and(workspace_id = :'ws') AS own_only
  FROM woes.events_since(0, 100000);
COMMIT;
-- roles outside woes_service / woes_admin cannot call it at all
RESET ROLE;
SET ROLE bi;
\set VERBOSITY sqlstate
SELECT count(*) FROM woes.events_since(0, 10);
SELECT woes.event_horizon();
\set VERBOSITY terse
SET ROLE rando;
SELECT count(*) FROM woes.events_since(0, 10);
SET ROLE app;

--------------------------------------------------------------------------
-- resolved_conversations: each resolution after the cursor, with the
-- conversation's fields and who resolved it; paged by event_id.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT count(*) AS before FROM woes.resolved_conversations(0, 100000);
SELECT coalesce(max(id), 0) AS export_cursor FROM woes.events_since(0, 100000) \gset
SELECT woes.resolve(:'c1', 'refunded');
SELECT woes.resolve(:'c2');
-- c5 is resolved by its agent, reopened by the customer, resolved by an operator
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.resolve(:'c5', 'answered');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'dave');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'c5', 'customer', :'dave', 'BODY-D6 it is back');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'pete');
SELECT woes.resolve(:'c5');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT r.number = c.number AS number_ok, r.channel, r.subject, r.contact_id = c.contact_id AS contact_ok,
       r.event_id > :export_cursor AS after_cursor, r.resolved_at >= r.created_at AS times_ok
  FROM woes.resolved_conversations(:export_cursor, 100000) r
  JOIN woes.conversations c ON c.id = r.conversation_id ORDER BY r.event_id;
-- who resolved it is per resolution: c5 was resolved by the agent, then
-- (after the customer reopened it) by an operator, as its history says
SELECT to_status, actor_kind FROM woes.status_events
 WHERE conversation_id = :'c5' AND to_status = 'resolved' ORDER BY id;
SELECT r.resolved_by FROM woes.resolved_conversations(:export_cursor, 100000) r
 WHERE r.conversation_id = :'c5' ORDER BY r.event_id;
-- paged one at a time by event_id: the same rows
SELECT r.event_id AS page1 FROM woes.resolved_conversations(:export_cursor, 1) r \gset
SELECT r.event_id AS page2 FROM woes.resolved_conversations(:page1, 1) r \gset
SELECT r.event_id AS page3 FROM woes.resolved_conversations(:page2, 1) r \gset
SELECT r.event_id AS page4 FROM woes.resolved_conversations(:page3, 1) r \gset
SELECT count(*) AS after_last FROM woes.resolved_conversations(:page4, 1);
SELECT array[:page1, :page2, :page3, :page4]::bigint[] =
       (SELECT array_agg(event_id ORDER BY event_id) FROM woes.resolved_conversations(:export_cursor, 100000))
       AS pages_match;
SELECT h50_try('SELECT woes.resolved_conversations(0, 0)') AS max_0;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT h50_try('SELECT woes.resolved_conversations(0, 10)') AS agent;
SELECT woes.set_context(:'other', 'operator');
SELECT count(*) AS other_workspace FROM woes.resolved_conversations(0, 100000);
COMMIT;

--------------------------------------------------------------------------
-- Name lookups made as the extension owner are not the caller's to steer:
-- the SPI queries of woes.handoff() and woes.event_horizon() (both switch to
-- the owner inside) and the event writer (run as the table owner) must not
-- resolve a type or operator through the caller's search_path, where a
-- temporary type (pg_temp is searched first for types unless listed) or an
-- operator in the caller's own schema would run the caller's code as the
-- owner.  A fresh session, so no plan is cached yet; the traps raise when
-- they run as anyone but app.
--------------------------------------------------------------------------
RESET ROLE;
CREATE SCHEMA h50_own AUTHORIZATION app;
\c -
SET ROLE app;
-- (quiet: on Citus, warnings that temporary objects are not distributed)
SET client_min_messages = error;
CREATE FUNCTION pg_temp.h50_trap(what text) RETURNS boolean
    LANGUAGE plpgsql
AS $$
BEGIN
    IF current_user <> 'app' THEN
        RAISE EXCEPTION 'the caller''s % ran as the owner', what;
    END IF;
    RETURN true;
END;
$$;
CREATE DOMAIN pg_temp.jsonb AS pg_catalog.jsonb CHECK (pg_temp.h50_trap('jsonb'));
CREATE DOMAIN pg_temp.text AS pg_catalog.text CHECK (pg_temp.h50_trap('text'));
RESET client_min_messages;
CREATE FUNCTION h50_own.plus8(a bigint, b integer) RETURNS bigint
    LANGUAGE sql
AS $$ SELECT CASE WHEN pg_temp.h50_trap('operator') THEN a OPERATOR(pg_catalog.+) b END $$;
CREATE FUNCTION h50_own.plus4(a integer, b integer) RETURNS integer
    LANGUAGE sql
AS $$ SELECT CASE WHEN pg_temp.h50_trap('operator') THEN a OPERATOR(pg_catalog.+) b END $$;
CREATE OPERATOR h50_own.+ (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = h50_own.plus8);
CREATE OPERATOR h50_own.+ (LEFTARG = integer, RIGHTARG = integer, FUNCTION = h50_own.plus4);
SET search_path = h50_own, pg_catalog, public;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT h50_try('SELECT woes.event_horizon()') AS horizon;
SELECT h50_try(format($$INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body)
                        VALUES (%L, 'operator', %L, 'internal', 'BODY-H1 raw note')$$, :'c7', :'olga'))
       AS raw_note;
SELECT h50_try(format($$SELECT woes.handoff(%L, 'handoff_requested', NULL)$$, :'c7')) AS handoff_direct;
SELECT h50_try('SELECT count(*) FROM woes.events_since(0, 10)') AS events_since;
ROLLBACK;
RESET ROLE;
DROP SCHEMA h50_own CASCADE;
-- a clean session again (the temporary types go with the old one)
\c -
DROP FUNCTION public.h50_try(text), public.h50_history(uuid, jsonb), public.h50_kinds(uuid), public.h50_page_all(integer);

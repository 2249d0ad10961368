-- The conversation lifecycle: the status type, the transition table, the
-- trigger on every write path, history, snooze and wake-up, and the
-- automatic moves of customer messages.
\set VERBOSITY terse
-- errors inside a transaction roll back to just before the statement
\set ON_ERROR_ROLLBACK on
-- the status operators live in schema woes, like any extension's
SET search_path = public, woes;

-- test helper (owned by the superuser, runs as the caller): drive a new
-- conversation to "from" by legal steps, then try a raw UPDATE to "to";
-- report ok, no change, or the SQLSTATE
CREATE FUNCTION public.try_raw_update(contact uuid, f woes.status, t woes.status) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    c uuid;
    before bigint;
    after bigint;
    -- the snooze times, computed first: Citus refuses now() inside CASE in an UPDATE
    in_1h timestamptz := now() + interval '1 hour';
    in_2h timestamptz := now() + interval '2 hours';
BEGIN
    INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', contact) RETURNING id INTO c;
    IF f = 'closed' THEN
        UPDATE woes.conversations SET status = 'closed' WHERE id = c;
    ELSIF f <> 'open' THEN
        UPDATE woes.conversations SET status = f,
               snoozed_until = CASE WHEN f = 'snoozed' THEN in_1h END
         WHERE id = c;
    END IF;
    SELECT count(*) INTO before FROM woes.status_events WHERE conversation_id = c;
    BEGIN
        UPDATE woes.conversations SET status = t,
               snoozed_until = CASE WHEN t = 'snoozed' THEN in_2h END
         WHERE id = c;
    EXCEPTION WHEN OTHERS THEN
        RETURN SQLSTATE;
    END;
    SELECT count(*) INTO after FROM woes.status_events WHERE conversation_id = c;
    RETURN CASE WHEN after = before THEN 'no change' ELSE 'ok' END;
END;
$$;

SET ROLE app;
SELECT woes.create_workspace('life', 'Lifecycle Inc') AS ws \gset
SELECT woes.create_workspace('life-other', 'Other Inc') AS other \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Olga', 'olga@life.test') AS olga \gset
SELECT woes.upsert_contact('live_chat', 'visitor-1', 'Vera') AS vera \gset
SELECT woes.upsert_contact('live_chat', 'visitor-2', 'Walt') AS walt \gset
COMMIT;

-- woes.status: lifecycle order, btree and hash support, text casts
SELECT s, s::text AS label, s < 'resolved'::woes.status AS before_resolved
  FROM unnest('{closed,open,resolved,snoozed,pending}'::woes.status[]) s ORDER BY s;
SELECT 'Open'::woes.status;
SELECT 'archived'::woes.status;
SELECT count(DISTINCT s) AS distinct_statuses FROM unnest('{open,open,closed}'::woes.status[]) s;

-- the transition table, as next_statuses and can_transition tell it
SELECT f AS "from", woes.next_statuses(f) AS "to"
  FROM unnest('{open,pending,snoozed,resolved,closed}'::woes.status[]) f ORDER BY f;
SELECT woes.can_transition('resolved', 'open') AS reopen,
       woes.can_transition('resolved', 'pending') AS resolved_to_pending,
       woes.can_transition('closed', 'open') AS closed_to_open,
       woes.can_transition('snoozed', 'snoozed') AS resnooze,
       woes.can_transition('open', 'open') AS open_to_open;

-- every pair through a raw UPDATE: the trigger holds the same table
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT f AS "from", t AS "to", public.try_raw_update(:'vera', f, t) AS outcome,
       woes.can_transition(f, t) AS allowed
  FROM unnest('{open,pending,snoozed,resolved,closed}'::woes.status[]) f,
       unnest('{open,pending,snoozed,resolved,closed}'::woes.status[]) t
 ORDER BY f, t;
ROLLBACK;

-- the error names from and to, and the hint lists what is allowed (not
-- where it was raised: on Citus, also the worker that raised it)
\set VERBOSITY default
\set SHOW_CONTEXT never
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
INSERT INTO woes.conversations (channel, contact_id, subject) VALUES ('api', :'vera', 'refund')
RETURNING id AS c1 \gset
SELECT woes.resolve(:'c1', 'refunded');
SELECT woes.set_pending(:'c1');
ROLLBACK;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', :'vera') RETURNING id AS c1 \gset
SELECT woes.close(:'c1');
UPDATE woes.conversations SET status = 'open' WHERE id = :'c1';
ROLLBACK;
\set VERBOSITY terse
\set SHOW_CONTEXT errors

-- a new conversation starts open (or resolved), never elsewhere
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
INSERT INTO woes.conversations (channel, contact_id, status) VALUES ('api', :'vera', 'pending');
ROLLBACK;

-- the API: same-status calls are no-ops that write nothing
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
INSERT INTO woes.conversations (channel, contact_id, subject) VALUES ('email', :'vera', 'login')
RETURNING id AS c \gset
SELECT woes.set_pending(:'c', 'asked for a screenshot') AS changed;
SELECT woes.set_pending(:'c', 'again') AS changed;
SELECT woes.reopen(:'c') AS changed;
SELECT woes.reopen(:'c') AS changed;
-- snoozing needs a future time; re-snoozing with a new time is a change
SELECT woes.snooze(:'c', now() - interval '1 minute');
SELECT woes.snooze(:'c', NULL);
SELECT woes.transition(:'c', 'open', snooze_until => now() + interval '1 day');
SELECT woes.snooze(:'c', now() + interval '1 day') AS changed;
SELECT woes.snooze(:'c', now() + interval '1 day') AS changed;
SELECT woes.snooze(:'c', now() + interval '2 days', 'customer on holiday') AS changed;
-- (the time this node's now() gave the call: on Citus a query on a shard
-- would evaluate now() on the worker)
SELECT now() + interval '2 days' AS in_2_days \gset
SELECT status, snoozed_until = :'in_2_days' AS until_set FROM woes.conversations WHERE id = :'c';
-- leaving snoozed clears the time; setting a time outside snoozed is refused
SELECT woes.set_pending(:'c') AS changed;
SELECT status, snoozed_until IS NULL AS until_cleared FROM woes.conversations WHERE id = :'c';
UPDATE woes.conversations SET snoozed_until = now() + interval '1 day' WHERE id = :'c';
-- a raw UPDATE records its reason from woes.reason; the API resets it after each call
SET LOCAL woes.reason = 'bulk cleanup';
UPDATE woes.conversations SET status = 'resolved' WHERE id = :'c';
RESET woes.reason;
SELECT woes.close(:'c') AS changed;
SELECT woes.reopen(:'c');
-- history: one row per change, with who and why
SELECT from_status, to_status, actor_kind, actor_id = :'olga' AS by_olga, reason,
       snoozed_until IS NOT NULL AS has_until
  FROM woes.status_events WHERE conversation_id = :'c' ORDER BY id;
-- unknown conversations and other workspaces' ids: not found
SELECT woes.resolve('00000000-0000-7000-8000-000000000000');
COMMIT;

-- history is written by the trigger only: no role can forge or edit it
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
ROLLBACK;
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
INSERT INTO woes.status_events (workspace_id, conversation_id, to_status, actor_kind)
VALUES (:'ws', :'c', 'open', 'system');
UPDATE woes.status_events SET reason = 'forged';
DELETE FROM woes.status_events;
ROLLBACK;
SET ROLE app;

-- the current status always equals the last event
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT count(*) AS mismatches FROM woes.conversations c
 WHERE c.status <> (SELECT e.to_status FROM woes.status_events e
                     WHERE e.workspace_id = c.workspace_id AND e.conversation_id = c.id
                     ORDER BY e.id DESC LIMIT 1);
COMMIT;

-- who may change status: not customers, not analysts
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'vera');
SELECT woes.resolve(:'c');
ROLLBACK;

-- a blocked contact's conversation is stored, but starts resolved
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
UPDATE woes.contacts SET blocked = true WHERE id = :'walt';
INSERT INTO woes.conversations (channel, contact_id) VALUES ('live_chat', :'walt') RETURNING status;
UPDATE woes.contacts SET blocked = false WHERE id = :'walt';
COMMIT;

-- customer messages: pending, snoozed and resolved reopen (customer_reply);
-- open stays open; operator notes move nothing; closed starts a follow-up
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
INSERT INTO woes.conversations (channel, contact_id) VALUES ('live_chat', :'vera') RETURNING id AS p \gset
INSERT INTO woes.conversations (channel, contact_id) VALUES ('live_chat', :'vera') RETURNING id AS s \gset
INSERT INTO woes.conversations (channel, contact_id) VALUES ('live_chat', :'vera') RETURNING id AS r \gset
INSERT INTO woes.conversations (channel, contact_id) VALUES ('live_chat', :'vera') RETURNING id AS o \gset
INSERT INTO woes.conversations (channel, contact_id, subject, thread_ref)
VALUES ('live_chat', :'vera', 'billing', 'chat-77') RETURNING id AS x \gset
SELECT woes.set_pending(:'p'), woes.snooze(:'s', now() + interval '1 day'), woes.resolve(:'r'),
       woes.close(:'x');
INSERT INTO woes.messages (conversation_id, author_kind, visibility, body)
VALUES (:'p', 'operator', 'internal', 'a note does not reopen');
SELECT status FROM woes.conversations WHERE id = :'p';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'vera');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'p', 'customer', :'vera', 'hello?'), (:'s', 'customer', :'vera', 'hello?'),
       (:'r', 'customer', :'vera', 'hello?'), (:'o', 'customer', :'vera', 'hello?');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'x', 'customer', :'vera', 'it is broken again') RETURNING conversation_id <> :'x' AS moved;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT id = :'p' AS p, id = :'s' AS s, id = :'r' AS r, id = :'o' AS o, status,
       snoozed_until IS NULL AS no_until, waiting_since IS NOT NULL AS waiting
  FROM woes.conversations WHERE id IN (:'p', :'s', :'r', :'o') ORDER BY number;
SELECT c.status, c.subject, c.thread_ref, c.previous_conversation_id = :'x' AS points_back,
       (SELECT count(*) FROM woes.messages m WHERE m.workspace_id = c.workspace_id AND m.conversation_id = c.id) AS messages,
       (SELECT count(*) FROM woes.messages m WHERE m.conversation_id = :'x') AS messages_in_closed
  FROM woes.conversations c WHERE c.previous_conversation_id = :'x';
SELECT e.from_status, e.to_status, e.actor_kind, e.reason, count(*)
  FROM woes.status_events e
 WHERE e.reason = 'customer_reply' GROUP BY 1, 2, 3, 4 ORDER BY 1 NULLS FIRST, 2;
COMMIT;

-- a customer cannot write into another contact's conversation
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'walt');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'p', 'customer', :'walt', 'let me in');
ROLLBACK;

-- wake_snoozed: with a context, that workspace; without, every workspace
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT woes.upsert_contact('api', 'o-1') AS oc \gset
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', :'oc') RETURNING id AS oz \gset
SELECT woes.snooze(:'oz', now() + interval '1 hour');
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.snooze(:'o', now() + interval '1 hour');
SELECT woes.snooze(:'p', now() + interval '5 hours');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.wake_snoozed(now()) AS not_due_yet;
SELECT woes.wake_snoozed(now() + interval '2 hours') AS woken_here;
SELECT current_setting('woes.workspace') = :'ws' AS context_kept,
       current_setting('woes.audience') AS audience;
COMMIT;
BEGIN;
SELECT woes.clear_context();
SELECT woes.wake_snoozed(now() + interval '6 hours') AS woken_everywhere;
SELECT current_setting('woes.workspace') AS no_workspace_again;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT id = :'o' AS o, status, snoozed_until IS NULL AS no_until FROM woes.conversations
 WHERE id IN (:'o', :'p') ORDER BY number;
SELECT to_status, actor_kind, actor_id IS NULL AS no_actor, reason FROM woes.status_events
 WHERE conversation_id IN (:'o', :'p') AND reason = 'snooze_expired' ORDER BY id;
COMMIT;
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT status FROM woes.conversations WHERE id = :'oz';
COMMIT;
RESET ROLE;
DROP FUNCTION public.try_raw_update(uuid, woes.status, woes.status);

-- The status API restricts its UPDATE to the context's workspace itself:
-- a caller that bypasses row-level security (here the superuser) with one
-- workspace's context still cannot move another workspace's conversation.
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT try_sql(format('SELECT woes.resolve(%L)', :'oz')) AS other_workspace;
ROLLBACK;

-- History rows are written straight into the table (not through SQL), but
-- its constraints still hold, also one a DBA adds later, and a row trigger
-- a DBA adds still fires.  (On Citus the DBA allows triggers on distributed
-- tables first; elsewhere the setting is a no-op placeholder.)
SET citus.enable_unsafe_triggers = on;
ALTER TABLE woes.status_events ADD CONSTRAINT no_forbidden_reason
    CHECK (reason IS DISTINCT FROM 'forbidden');
CREATE FUNCTION public.history_seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'history row: % -> % (%)', NEW.from_status, NEW.to_status, NEW.reason;
    RETURN NULL;
END $$;
CREATE TRIGGER history_seen AFTER INSERT ON woes.status_events
    FOR EACH ROW EXECUTE FUNCTION public.history_seen();
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
-- (on Citus the error names the shard, status_events_NNNNNN: named as its table)
SELECT regexp_replace(try_sql(format('SELECT woes.set_pending(%L, %L)', :'o', 'forbidden')),
                      '_[0-9]{6,}"', '"', 'g') AS dba_check;
SELECT woes.set_pending(:'o', 'allowed');
ROLLBACK;
DROP TRIGGER history_seen ON woes.status_events;
DROP FUNCTION public.history_seen();
ALTER TABLE woes.status_events DROP CONSTRAINT no_forbidden_reason;
RESET citus.enable_unsafe_triggers;

-- The reason a call hands to the trigger ends with the call, also when the
-- call fails: a raw UPDATE afterwards records its own reason.
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SAVEPOINT a;
SELECT woes.set_pending(:'o', repeat('x', 1001));
ROLLBACK TO a;
SET LOCAL woes.reason = 'raw update';
UPDATE woes.conversations SET status = 'pending' WHERE id = :'o';
SELECT woes.reopen(:'o');
SELECT from_status, to_status, reason FROM woes.status_events
 WHERE conversation_id = :'o' ORDER BY id DESC LIMIT 2;
ROLLBACK;

-- waiting_since: set by a customer's message, cleared by resolving (and by
-- closing): a resolved conversation waits for nobody
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.start_conversation(:'vera', 'api', 'waiting') AS w \gset
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'w', 'customer', :'vera', 'anyone?');
SELECT waiting_since IS NOT NULL AS waiting FROM woes.conversations WHERE id = :'w';
SELECT woes.resolve(:'w');
SELECT status, waiting_since IS NULL AS not_waiting FROM woes.conversations WHERE id = :'w';
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'w', 'customer', :'vera', 'still broken');
SELECT status, waiting_since IS NOT NULL AS waiting_again FROM woes.conversations WHERE id = :'w';
SELECT woes.close(:'w');
SELECT status, waiting_since IS NULL AS not_waiting FROM woes.conversations WHERE id = :'w';
ROLLBACK;

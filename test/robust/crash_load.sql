-- The load of test/sh/crash_recovery.sh: what its pgbench clients call,
-- inside their set_context transactions (loaded after CREATE EXTENSION woes).
CREATE SCHEMA load;
-- the two workspaces and two operators of each (n = 1, 2)
CREATE TABLE load.cfg (n int PRIMARY KEY, ws uuid NOT NULL, op1 uuid NOT NULL, op2 uuid NOT NULL);

-- One step of a support day, as the context's operator:
--   a 1-40: a customer message (woes.receive_message): live chat threads and
--           email threads, from a pool of senders, so new conversations,
--           messages into open ones, reopens of resolved or snoozed ones and
--           follow-ups of closed ones all happen;
--   a 41-98: an operator's move on conversation number n: public reply,
--           internal note, resolve, reopen, snooze (1 to 3 seconds), pending,
--           close, request a person, take over, release to automation;
--   a 99-100: woes.wake_snoozed() for the workspace.
-- A move the conversation's state forbids by the time it runs (another
-- client changed it) is refused by woes with its documented code; those are
-- expected under concurrency and returned as 'refused'.  Anything else is an
-- error of the load.
CREATE FUNCTION load.act(a int, n int, r bigint) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    ws uuid := woes.current_workspace();
    conv uuid;
BEGIN
    IF a <= 40 THEN
        IF r % 4 = 0 THEN
            PERFORM woes.receive_message('email', '<L' || (r / 7) % 5000 || '@mail.test>', 'sender-' || r % 150 || '@mail.test',
                                         'an email ' || r, '<L' || r % 5000 || '@mail.test>');
        ELSE
            PERFORM woes.receive_message('live_chat', 'chat-' || r % 300, 'visitor-' || r % 150,
                                         'a chat message ' || r, 'chat-' || r || '-' || pg_backend_pid());
        END IF;
        RETURN 'intake';
    END IF;
    IF a >= 99 THEN
        RETURN 'woke ' || woes.wake_snoozed();
    END IF;
    SELECT c.id INTO conv FROM woes.conversations c WHERE c.workspace_id = ws AND c.number = n;
    IF conv IS NULL THEN
        RETURN 'no such conversation';
    END IF;
    BEGIN
        CASE
            WHEN a <= 55 THEN PERFORM woes.reply(conv, 'a reply ' || r);
            WHEN a <= 62 THEN PERFORM woes.add_note(conv, 'a note ' || r);
            WHEN a <= 72 THEN PERFORM woes.resolve(conv, 'load');
            WHEN a <= 78 THEN PERFORM woes.reopen(conv);
            WHEN a <= 84 THEN PERFORM woes.snooze(conv, clock_timestamp() + (1 + r % 3) * interval '1 second');
            WHEN a <= 88 THEN PERFORM woes.set_pending(conv);
            WHEN a <= 90 THEN PERFORM woes.close(conv, 'load');
            WHEN a <= 94 THEN PERFORM woes.request_handoff(conv, 'load');
            WHEN a <= 97 THEN PERFORM woes.take_over(conv);
            ELSE PERFORM woes.release_to_automation(conv);
        END CASE;
    EXCEPTION
        -- invalid transition, invalid snooze, automation stopped, already
        -- taken, no agent, closed
        WHEN SQLSTATE 'WO101' OR SQLSTATE 'WO102' OR SQLSTATE 'WO301' OR SQLSTATE 'WO302'
          OR SQLSTATE 'WO303' OR SQLSTATE 'WO304' THEN
            RETURN 'refused';
    END;
    RETURN 'moved';
END;
$$;

GRANT USAGE ON SCHEMA load TO PUBLIC;
GRANT SELECT ON load.cfg TO PUBLIC;

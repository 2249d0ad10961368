-- Invariants of woes data that hold whatever happened before (load, fuzzing,
-- a crash): run as a superuser, over every workspace, with psql.  Prints one
-- line per invariant, "name: ok" or "name: FAIL (count; e.g. ...)".  Used by
-- test/sh/crash_recovery.sh and test/sh/fuzz.sh.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
-- a superuser bypasses row-level security: every workspace is seen at once
CREATE TEMP TABLE inv_result (ord serial, name text, bad bigint, sample text);

-- the status of a conversation is the to_status of its last status event
-- (and there is one); the control, that of its last handoff event (if any)
INSERT INTO inv_result (name, bad, sample)
SELECT 'status = last status event', count(*), min(c.id::text || ' is ' || c.status::text || ', last event ' || coalesce(l.to_status::text, 'none'))
  FROM woes.conversations c
  LEFT JOIN LATERAL (SELECT e.to_status FROM woes.status_events e
                      WHERE e.workspace_id = c.workspace_id AND e.conversation_id = c.id
                      ORDER BY e.id DESC LIMIT 1) l ON true
 WHERE l.to_status IS NULL OR l.to_status::text <> c.status::text;

INSERT INTO inv_result (name, bad, sample)
SELECT 'one creation event per conversation', count(*), min(c.id::text || ': ' || coalesce(n, 0))
  FROM woes.conversations c
  LEFT JOIN (SELECT workspace_id, conversation_id, count(*) AS n FROM woes.status_events
              WHERE from_status IS NULL GROUP BY 1, 2) e
    ON e.workspace_id = c.workspace_id AND e.conversation_id = c.id
 WHERE coalesce(n, 0) <> 1;

INSERT INTO inv_result (name, bad, sample)
SELECT 'control = last handoff event', count(*), min(c.id::text || ' is ' || c.control::text || ', last event ' || l.to_control::text)
  FROM woes.conversations c
  JOIN LATERAL (SELECT h.to_control FROM woes.handoff_events h
                 WHERE h.workspace_id = c.workspace_id AND h.conversation_id = c.id
                 ORDER BY h.id DESC LIMIT 1) l ON true
 WHERE l.to_control::text <> c.control::text;

INSERT INTO inv_result (name, bad, sample)
SELECT 'snoozed_until set exactly when snoozed', count(*), min(id::text)
  FROM woes.conversations
 WHERE (status::text = 'snoozed') <> (snoozed_until IS NOT NULL);

INSERT INTO inv_result (name, bad, sample)
SELECT 'a holder only under operator control', count(*), min(id::text)
  FROM woes.conversations
 WHERE controller_id IS NOT NULL AND control::text <> 'operator';

-- no orphans
INSERT INTO inv_result (name, bad, sample)
SELECT 'messages have a conversation', count(*), min(m.id::text)
  FROM woes.messages m
 WHERE NOT EXISTS (SELECT FROM woes.conversations c WHERE c.workspace_id = m.workspace_id AND c.id = m.conversation_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'messages carry their conversation''s contact', count(*), min(m.id::text)
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 WHERE m.contact_id IS DISTINCT FROM c.contact_id;
INSERT INTO inv_result (name, bad, sample)
SELECT 'status events have a conversation', count(*), min(e.conversation_id::text)
  FROM woes.status_events e
 WHERE NOT EXISTS (SELECT FROM woes.conversations c WHERE c.workspace_id = e.workspace_id AND c.id = e.conversation_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'handoff events have a conversation', count(*), min(e.conversation_id::text)
  FROM woes.handoff_events e
 WHERE NOT EXISTS (SELECT FROM woes.conversations c WHERE c.workspace_id = e.workspace_id AND c.id = e.conversation_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'participants have a conversation', count(*), min(p.id::text)
  FROM woes.participants p
 WHERE NOT EXISTS (SELECT FROM woes.conversations c WHERE c.workspace_id = p.workspace_id AND c.id = p.conversation_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'thread keys have a conversation', count(*), min(t.ref)
  FROM woes.thread_refs t
 WHERE NOT EXISTS (SELECT FROM woes.conversations c WHERE c.workspace_id = t.workspace_id AND c.id = t.conversation_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'traces have a message', count(*), min(t.message_id::text)
  FROM woes.message_traces t
 WHERE NOT EXISTS (SELECT FROM woes.messages m WHERE m.workspace_id = t.workspace_id AND m.id = t.message_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'conversations have a contact', count(*), min(c.id::text)
  FROM woes.conversations c
 WHERE NOT EXISTS (SELECT FROM woes.contacts k WHERE k.workspace_id = c.workspace_id AND k.id = c.contact_id);
INSERT INTO inv_result (name, bad, sample)
SELECT 'identities have a contact', count(*), min(i.id::text)
  FROM woes.identities i
 WHERE NOT EXISTS (SELECT FROM woes.contacts k WHERE k.workspace_id = i.workspace_id AND k.id = i.contact_id);

-- conversation numbers: 1..n in each workspace, no gap, no duplicate, and
-- the workspace's counter at n
INSERT INTO inv_result (name, bad, sample)
SELECT 'conversation numbers 1..n per workspace', count(*), min(w.slug || ': ' || coalesce(n, 0) || ' conversations, numbers ' ||
                                                        coalesce(lo, 0) || '..' || coalesce(hi, 0) || ' (' || coalesce(d, 0) || ' distinct), counter ' ||
                                                        coalesce(k.last_conversation_number, 0))
  FROM woes.workspaces w
  LEFT JOIN woes.workspace_counters k ON k.workspace_id = w.id
  LEFT JOIN (SELECT workspace_id, count(*) AS n, count(DISTINCT number) AS d, min(number) AS lo, max(number) AS hi
               FROM woes.conversations GROUP BY 1) c ON c.workspace_id = w.id
 WHERE coalesce(n, 0) <> coalesce(d, 0) OR coalesce(n, 0) <> coalesce(hi, 0)
    OR (n > 0 AND lo <> 1) OR coalesce(k.last_conversation_number, 0) <> coalesce(hi, 0);

-- the outbox holds one event per recorded change (written in the same
-- transaction, so a crash keeps both or neither)
INSERT INTO inv_result (name, bad, sample)
SELECT 'an outbox event per change', count(*), min(slug || ': ' || what)
  FROM (
    SELECT w.slug, k.what
      FROM woes.workspaces w
     CROSS JOIN LATERAL (VALUES
        ('conversation.created', (SELECT count(*) FROM woes.conversations c WHERE c.workspace_id = w.id)),
        ('message.created', (SELECT count(*) FROM woes.messages m WHERE m.workspace_id = w.id)),
        ('conversation.status_changed', (SELECT count(*) FROM woes.status_events e
                                          WHERE e.workspace_id = w.id AND e.from_status IS NOT NULL)),
        ('handoff.%', (SELECT count(*) FROM woes.handoff_events h WHERE h.workspace_id = w.id))) AS x(kind, expected)
     CROSS JOIN LATERAL (SELECT format('%s events %s, expected %s', x.kind, count(*), x.expected) AS what, count(*) AS got
                           FROM woes.events e WHERE e.workspace_id = w.id AND e.kind LIKE x.kind) k
     WHERE k.got <> x.expected) d;

-- the outbox cursor: events_since from 0, page after page, hands out every
-- committed event of the workspace once, in strictly increasing id order
DO $$
DECLARE
    w record;
    cur bigint;
    got bigint;
    total bigint;
    prev bigint;
    disorder bigint := 0;
    short bigint := 0;
    sample text;
    e record;
BEGIN
    FOR w IN SELECT id, slug FROM woes.workspaces ORDER BY slug LOOP
        PERFORM woes.set_context(w.id, 'admin');
        cur := 0; got := 0; prev := 0;
        LOOP
            total := got;
            FOR e IN SELECT id FROM woes.events_since(cur, 1000) LOOP
                IF e.id <= prev THEN
                    disorder := disorder + 1;
                END IF;
                prev := e.id;
                got := got + 1;
            END LOOP;
            EXIT WHEN got = total;
            cur := prev;
        END LOOP;
        SELECT count(*) INTO total FROM woes.events WHERE workspace_id = w.id;
        IF got <> total THEN
            short := short + 1;
            sample := coalesce(sample, format('%s: cursor read %s of %s events', w.slug, got, total));
        END IF;
    END LOOP;
    PERFORM woes.clear_context();
    INSERT INTO inv_result (name, bad, sample) VALUES
        ('events_since from 0 reads every event', short, sample),
        ('events_since ids strictly increasing', disorder, NULL);
END;
$$;

SELECT name || ': ' || CASE WHEN bad = 0 THEN 'ok' ELSE format('FAIL (%s; e.g. %s)', bad, coalesce(sample, '-')) END
  FROM inv_result ORDER BY ord;

-- The recompute check after a randomized workload: 1,500 mixed operations,
-- each in a transaction of its own (intake on new and known threads, agent
-- and operator replies, notes, handoff requests, takeovers, releases,
-- assignments, status changes of every kind), chosen by a seeded random
-- generator; refused operations (an illegal transition, a takeover of a
-- taken conversation) are part of the mix.  Then woes.verify_metrics()
-- must find no difference between the kept metrics and the histories.
\set VERBOSITY terse
SET search_path = public, woes;

SELECT woes.create_workspace('metrics-random', 'Metrics, randomized') AS ws \gset
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT count(woes.add_operator('Op ' || i, 'op' || i || '@random.test')) AS operators FROM generate_series(1, 4) i;
SELECT woes.add_agent('randbot', '{live_chat}') IS NOT NULL AS agent;
COMMIT;
RESET ROLE;
SET ROLE app;

CREATE TEMP TABLE random_log (op text, ok boolean);
SET random.ws = :'ws';
SELECT setseed(0.42);
DO $$
DECLARE
    ws        uuid := current_setting('random.ws')::uuid;
    ops       text[] := '{new_chat,new_email,customer,customer,customer,agent_reply,agent_reply,operator_reply,operator_reply,note,request_handoff,take_over,release,assign,unassign,resolve,resolve,reopen,snooze,set_pending,close}';
    op        text;
    c         uuid;
    ref       text;
    channel   text;
    operator  uuid;
    agent     uuid;
    n         integer := 0;
    ok        boolean;
BEGIN
    PERFORM setseed(0.42);
    FOR i IN 1 .. 1500 LOOP
        op := ops[1 + floor(random() * array_length(ops, 1))::int];
        PERFORM woes.set_context(ws, 'operator');
        SELECT o.id INTO operator FROM woes.operators o WHERE o.workspace_id = ws ORDER BY o.id
         OFFSET floor(random() * 4)::int LIMIT 1;
        SELECT a.id INTO agent FROM woes.agents a WHERE a.workspace_id = ws;
        -- a known conversation (threads are named by number)
        SELECT cv.id, cv.thread_ref, cv.channel INTO c, ref, channel FROM woes.conversations cv
         WHERE cv.workspace_id = ws AND cv.thread_ref IS NOT NULL
         ORDER BY cv.number OFFSET floor(random() * greatest(n, 1))::int LIMIT 1;
        ok := true;
        BEGIN
            CASE op
            WHEN 'new_chat' THEN
                n := n + 1;
                PERFORM woes.receive_message('live_chat', 'rnd-chat-' || i, 'rnd-visitor-' || (i % 37), 'hello',
                                             'rnd-m-' || i);
            WHEN 'new_email' THEN
                n := n + 1;
                PERFORM woes.receive_message('email', '<rnd-' || i || '@mail.test>', 'rnd' || (i % 29) || '@example.com',
                                             'hello', '<rnd-' || i || '@mail.test>');
            WHEN 'customer' THEN
                IF c IS NULL THEN ok := false;
                ELSIF channel = 'email' THEN
                    PERFORM woes.receive_message('email', ref, (SELECT i2.external_id FROM woes.identities i2
                                                                  JOIN woes.conversations cv ON cv.workspace_id = i2.workspace_id
                                                                   AND cv.contact_id = i2.contact_id
                                                                 WHERE i2.workspace_id = ws AND cv.id = c AND i2.channel = 'email'
                                                                 LIMIT 1),
                                                 'more', '<rnd-r-' || i || '@mail.test>');
                ELSE
                    PERFORM woes.receive_message(channel, ref, (SELECT i2.external_id FROM woes.identities i2
                                                                  JOIN woes.conversations cv ON cv.workspace_id = i2.workspace_id
                                                                   AND cv.contact_id = i2.contact_id
                                                                 WHERE i2.workspace_id = ws AND cv.id = c AND i2.channel = channel
                                                                 LIMIT 1),
                                                 'more', 'rnd-r-' || i);
                END IF;
            WHEN 'agent_reply' THEN
                PERFORM woes.set_context(ws, 'agent', agent);
                PERFORM woes.reply(c, 'bot says');
            WHEN 'operator_reply' THEN
                PERFORM woes.set_context(ws, 'operator', operator);
                PERFORM woes.reply(c, 'person says');
            WHEN 'note' THEN
                PERFORM woes.set_context(ws, 'operator', operator);
                PERFORM woes.add_note(c, 'note');
            WHEN 'request_handoff' THEN
                PERFORM woes.set_context(ws, 'agent', agent);
                PERFORM woes.request_handoff(c, 'random');
            WHEN 'take_over' THEN
                PERFORM woes.set_context(ws, 'operator', operator);
                PERFORM woes.take_over(c);
            WHEN 'release' THEN
                PERFORM woes.set_context(ws, 'operator', operator);
                PERFORM woes.release_to_automation(c);
            WHEN 'assign' THEN
                PERFORM woes.assign(c, operator);
            WHEN 'unassign' THEN
                PERFORM woes.unassign(c);
            WHEN 'resolve' THEN
                PERFORM woes.resolve(c);
            WHEN 'reopen' THEN
                PERFORM woes.reopen(c);
            WHEN 'snooze' THEN
                PERFORM woes.snooze(c, now() + interval '1 day');
            WHEN 'set_pending' THEN
                PERFORM woes.set_pending(c);
            WHEN 'close' THEN
                PERFORM woes.close(c);
            END CASE;
        EXCEPTION WHEN OTHERS THEN
            ok := false;
        END;
        INSERT INTO random_log VALUES (op, ok);
        COMMIT;
    END LOOP;
END;
$$;

-- the mix (refused operations included), then the check
SELECT count(*) AS operations, count(*) FILTER (WHERE ok) > 500 AS mostly_done, count(*) FILTER (WHERE NOT ok) > 100 AS some_refused, count(DISTINCT op) AS kinds FROM random_log;
SELECT count(*) FILTER (WHERE ok) > 0 AS every_kind_happened FROM random_log GROUP BY op HAVING count(*) FILTER (WHERE ok) = 0;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT count(*) > 50 AS conversations, sum(reopen_count) > 0 AS reopens, sum(assignment_count) > 0 AS assignments,
       count(first_human_response_at) > 0 AS human_responses, count(handoff_taken_at) > 0 AS takeovers
  FROM woes.conversations WHERE workspace_id = :'ws';
SELECT count(*) > 0 AS reply_times FROM woes.reply_times WHERE workspace_id = :'ws';
SELECT metric, count(*) AS differences FROM woes.verify_metrics() GROUP BY metric ORDER BY metric;
COMMIT;
RESET ROLE;

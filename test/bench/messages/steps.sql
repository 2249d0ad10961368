-- Diagnosis (run.sh): what each step of woes.receive_message costs, inside
-- one backend, without instrumentation and without network round trips.
--
-- Every step is one statement of receive_message (src/sql/45_messages.sql,
-- as of commit a9f210f: a known sender, an existing live chat thread)
-- copied as static SQL into a procedure (so it has a cached plan, as in
-- the function), run exactly as receive_message runs it for a new message
-- into an existing thread.  (If the function changes, the pg_stat_statements
-- section of run.sh still lists what the installed version really runs.)  One iteration = set_context,
-- the step, COMMIT (so first-in-transaction costs and commit work count);
-- a step's cost is its iteration time minus that of the empty iteration.
-- Steps run in short batches, all steps in turn, the order rotated each
-- batch, so every step sees the same disturbances; the median over the
-- batches is reported.  Run as the application role (row-level security
-- applies, as for an application):
--   psql -v ws=WORKSPACE -v threads=2000 -v batches=20 -v iters=100 -v tag=TAG -f steps.sql
-- (TAG: a prefix of external message ids not used before)
\set ON_ERROR_STOP on
\set QUIET on
CREATE TEMP TABLE step_times (step text, batch int, us float8);
SELECT set_config('bench.ws', :'ws', false), set_config('bench.threads', :'threads', false),
       set_config('bench.batches', :'batches', false), set_config('bench.iters', :'iters', false),
       set_config('bench.tag', :'tag', false) \g /dev/null

CREATE PROCEDURE pg_temp.steps()
LANGUAGE plpgsql AS $$
DECLARE
    ws uuid := current_setting('bench.ws')::uuid;
    threads int := current_setting('bench.threads')::int;
    iters int := current_setting('bench.iters')::int;
    steps text[] := ARRAY['empty', 'inline_checks', 'channel_select', 'advisory_lock', 'idempotency_select',
                          'identity_select', 'thread_refs_select', 'insert_message', 'insert_participant',
                          'upsert_thread_refs', 'receive_message', 'bare_insert', 'threads_lookup',
                          'noop_plpgsql', 'noop_plpgsql_set_search_path'];
    nsteps int := cardinality(steps);
    step text;
    t0 timestamptz;
    t int;
    conv uuid;
    contact uuid;
    msg uuid;
    keys text[];
    own_key boolean;
    keys_fn regprocedure;
    ok boolean;
    seq bigint := 0;
    -- receive_message's parameters, as variables (plan parameters, as in the function)
    ch text := 'live_chat';
    ref text;
    sender text;
    ext text;
    body text := 'Hi, my order has not arrived yet. It was due on Monday; the tracking page says it is still in the warehouse. Can you check?';
BEGIN
    FOR b IN 1..current_setting('bench.batches')::int LOOP
        FOR s IN 0..nsteps - 1 LOOP
            step := steps[1 + (s + b) % nsteps];
            t0 := clock_timestamp();
            FOR i IN 1..iters LOOP
                seq := seq + 1;
                t := 1 + (seq * 7919) % threads;
                ref := 'chat-' || t;
                sender := 'visitor-' || t;
                ext := current_setting('bench.tag') || '-' || seq;
                keys := ARRAY[ref];
                own_key := false;
                PERFORM woes.set_context(ws, 'operator');
                CASE step
                WHEN 'empty' THEN
                    NULL;
                WHEN 'inline_checks' THEN
                    -- the checks receive_message makes inline, and its keys
                    ok := woes.in_audience('{operator,admin}')
                          AND ext IS NOT NULL AND length(ext) BETWEEN 1 AND 512
                          AND sender IS NOT NULL AND length(sender) BETWEEN 1 AND 512
                          AND NOT length(ref) > 10000 AND length(body) <= 100000;
                    keys := array_remove(ARRAY[btrim(coalesce(ref, ''))], '');
                    ok := ok AND NOT (cardinality(keys) = 0 AND NOT own_key);
                WHEN 'channel_select' THEN
                    SELECT c.thread_keys INTO keys_fn FROM woes.channels c WHERE c.name = ch;
                WHEN 'advisory_lock' THEN
                    PERFORM pg_advisory_xact_lock(hashtextextended(
                        concat_ws(' ', 'woes.message', ws, ch, ext), 0));
                WHEN 'idempotency_select' THEN
                    SELECT m.id INTO msg FROM woes.messages m
                     WHERE m.workspace_id = ws AND m.channel = ch AND m.external_id = ext;
                WHEN 'identity_select' THEN
                    SELECT i.contact_id INTO contact FROM woes.identities i
                     WHERE i.workspace_id = ws AND i.channel = ch AND i.external_id = sender;
                WHEN 'thread_refs_select' THEN
                    SELECT r.conversation_id INTO conv FROM woes.thread_refs r
                     WHERE r.workspace_id = ws AND r.channel = ch AND r.ref = ANY (keys)
                     ORDER BY r.created_at DESC LIMIT 1;
                WHEN 'insert_message' THEN
                    SELECT x.conversation_id, x.contact_id INTO conv, contact FROM bench.threads x WHERE x.n = t;
                    INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body,
                                               channel, external_id, created_at)
                    VALUES (conv, 'customer', contact, 'public', body, ch, ext, now())
                    RETURNING id, conversation_id INTO msg, conv;
                WHEN 'insert_participant' THEN
                    SELECT x.conversation_id, x.contact_id INTO conv, contact FROM bench.threads x WHERE x.n = t;
                    INSERT INTO woes.participants (conversation_id, kind, contact_id)
                    VALUES (conv, 'customer', contact)
                    ON CONFLICT DO NOTHING;
                WHEN 'upsert_thread_refs' THEN
                    SELECT x.conversation_id INTO conv FROM bench.threads x WHERE x.n = t;
                    INSERT INTO woes.thread_refs AS r (channel, ref, conversation_id)
                    SELECT DISTINCT ch, k, conv
                      FROM unnest(keys || CASE WHEN own_key THEN ARRAY[btrim(ext, ' <>')] ELSE '{}'::text[] END) k
                    ON CONFLICT ON CONSTRAINT thread_refs_pkey DO UPDATE
                       SET conversation_id = excluded.conversation_id
                     WHERE r.conversation_id <> excluded.conversation_id;
                WHEN 'receive_message' THEN
                    msg := woes.receive_message(ch, ref, sender, body, ext);
                WHEN 'bare_insert' THEN
                    SELECT x.conversation_id, x.contact_id INTO conv, contact FROM bench.threads x WHERE x.n = t;
                    INSERT INTO bench.messages (conversation_id, contact_id, author_kind, author_id, visibility, body,
                                                channel, external_id, created_at)
                    VALUES (conv, contact, 'customer', contact, 'public', body, ch, ext, now());
                WHEN 'threads_lookup' THEN
                    SELECT x.conversation_id, x.contact_id INTO conv, contact FROM bench.threads x WHERE x.n = t;
                WHEN 'noop_plpgsql' THEN
                    PERFORM bench.noop(1);
                WHEN 'noop_plpgsql_set_search_path' THEN
                    PERFORM bench.noop_set_search_path(1);
                END CASE;
                COMMIT;
            END LOOP;
            INSERT INTO pg_temp.step_times VALUES (step, b, extract(epoch FROM clock_timestamp() - t0) * 1e6 / iters);
            COMMIT;
        END LOOP;
    END LOOP;
END;
$$;
CALL pg_temp.steps();

\pset footer off
WITH m AS (
    SELECT step, percentile_cont(0.5) WITHIN GROUP (ORDER BY us) AS med, min(us) AS best
      FROM step_times WHERE batch > 1 GROUP BY step
), e AS (SELECT med, best FROM m WHERE step = 'empty')
SELECT m.step,
       round((m.med - CASE WHEN m.step = 'empty' THEN 0 ELSE e.med END)::numeric) AS "us (median)",
       round((m.best - CASE WHEN m.step = 'empty' THEN 0 ELSE e.best END)::numeric) AS "us (best batch)",
       CASE m.step
           WHEN 'empty' THEN 'set_context + COMMIT (the iteration itself; subtracted from the others)'
           WHEN 'inline_checks' THEN 'in_audience, lengths, the thread keys (plpgsql expressions)'
           WHEN 'channel_select' THEN 'the channel and its thread_keys function'
           WHEN 'advisory_lock' THEN 'x2 per message (the message id, the thread)'
           WHEN 'idempotency_select' THEN 'the message''s external id (not found)'
           WHEN 'identity_select' THEN 'the known sender''s contact'
           WHEN 'thread_refs_select' THEN 'ref = ANY (keys) ... ORDER BY created_at DESC LIMIT 1'
           WHEN 'insert_message' THEN 'the INSERT with its triggers (message_intake: conversation UPDATE, outbox event, NOTIFY), FKs, RLS; + a bench.threads lookup'
           WHEN 'insert_participant' THEN 'ON CONFLICT DO NOTHING, the row exists; + a bench.threads lookup'
           WHEN 'upsert_thread_refs' THEN 'ON CONFLICT DO UPDATE ... WHERE false: locks the existing row; + a bench.threads lookup'
           WHEN 'receive_message' THEN 'the whole call, for comparison'
           WHEN 'bare_insert' THEN 'the baseline INSERT into bench.messages; + a bench.threads lookup'
           WHEN 'threads_lookup' THEN 'the bench.threads lookup alone (part of four steps above)'
           WHEN 'noop_plpgsql' THEN 'an empty plpgsql function call'
           WHEN 'noop_plpgsql_set_search_path' THEN 'the same with SET search_path = pg_catalog, pg_temp (as every woes helper)'
           ELSE '' END AS note
  FROM m, e
 ORDER BY array_position(ARRAY['empty', 'inline_checks', 'channel_select', 'advisory_lock', 'idempotency_select',
                          'identity_select', 'thread_refs_select', 'insert_message', 'insert_participant',
                          'upsert_thread_refs', 'receive_message', 'bare_insert', 'threads_lookup',
                          'noop_plpgsql', 'noop_plpgsql_set_search_path'], m.step);

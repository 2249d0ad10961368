-- Diagnosis (run.sh): where the time of one INSERT into woes.messages goes,
-- per trigger.  EXPLAIN (ANALYZE) of :n single-row INSERTs into
-- woes.messages and of the same rows into bench.messages, each pair in its
-- own transaction under the operator context (as in pgbench), into random
-- threads.  The first 50 are warm-up and not counted.  Run as the
-- application role:
--   psql -v ws=WORKSPACE -v n=400 -v threads=2000 -v tag=TAG -f explain_intake.sql
\set ON_ERROR_STOP on
CREATE TEMP TABLE ex (tbl text, step int, plan json);
SELECT set_config('bench.ws', :'ws', false), set_config('bench.n', :'n', false),
       set_config('bench.threads', :'threads', false), set_config('bench.tag', :'tag', false) \g /dev/null
DO $$
DECLARE
    ws uuid := current_setting('bench.ws')::uuid;
    conv uuid;
    contact uuid;
    j json;
    tbl text;
    ins text;
BEGIN
    FOR k IN 1..current_setting('bench.n')::int LOOP
        SELECT t.conversation_id, t.contact_id INTO conv, contact
          FROM bench.threads t WHERE t.n = 1 + (k * 7919) % current_setting('bench.threads')::int;
        PERFORM woes.set_context(ws, 'operator');
        FOREACH tbl IN ARRAY ARRAY['woes.messages', 'bench.messages'] LOOP
            -- as in the pgbench scripts: woes' trigger fills contact_id in
            ins := format('EXPLAIN (ANALYZE, FORMAT JSON) INSERT INTO %s (conversation_id,%s author_kind, author_id,'
                          ' visibility, body, channel, external_id, created_at) VALUES (%L,%s ''customer'', %L,'
                          ' ''public'', %L, ''live_chat'', %L, now())',
                          tbl, CASE WHEN tbl = 'bench.messages' THEN ' contact_id,' ELSE '' END, conv,
                          CASE WHEN tbl = 'bench.messages' THEN format(' %L,', contact) ELSE '' END, contact,
                          'Hi, my order has not arrived yet. It was due on Monday; the tracking page says it is still in the warehouse. Can you check?',
                          current_setting('bench.tag') || '-' || k);
            EXECUTE ins INTO j;
            INSERT INTO pg_temp.ex VALUES (tbl, k, j);
        END LOOP;
        COMMIT;
    END LOOP;
END;
$$;
\pset footer off
SELECT tbl AS "INSERT into", count(*) AS inserts,
       round(avg((plan->0->>'Execution Time')::numeric) * 1000) AS "execution us",
       round(avg(coalesce((SELECT sum((t->>'Time')::numeric) FROM json_array_elements(plan->0->'Triggers') t), 0)) * 1000)
           AS "of which triggers us"
  FROM ex WHERE step > 50 GROUP BY tbl ORDER BY tbl DESC;
SELECT t->>'Trigger Name' AS trigger,
       CASE WHEN t->>'Trigger Name' LIKE 'RI_%'
            THEN (SELECT 'FK ' || conname || ' (' || pg_get_constraintdef(oid) || ')'
                    FROM pg_constraint WHERE oid = (SELECT tgconstraint FROM pg_trigger
                   WHERE tgname = t->>'Trigger Name' AND tgrelid = 'woes.messages'::regclass))
            ELSE '' END AS what,
       round(avg((t->>'Calls')::numeric), 2) AS "calls per insert",
       round(avg((t->>'Time')::numeric) * 1000) AS "us per insert"
  FROM ex, json_array_elements(plan->0->'Triggers') t
 WHERE tbl = 'woes.messages' AND step > 50 GROUP BY 1, 2 ORDER BY 4 DESC;

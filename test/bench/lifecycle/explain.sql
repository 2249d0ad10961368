-- Per-trigger time of a status change (profile.sh): EXPLAIN (ANALYZE) of
-- 800 raw status UPDATEs (pending, then open, on 400 conversations) of
-- woes.conversations and of bench.conv, one transaction, under a context.
-- The first 100 of each are warm-up and not counted.  The FK checks of
-- woes.conversations fire on the second update of a row in a transaction
-- (PostgreSQL re-checks a row version its own transaction wrote).
--   psql -v ws=WORKSPACE -f explain.sql     (as a woes_service member)
\set ON_ERROR_STOP on
CREATE TEMP TABLE ex (tbl text, step int, plan json);
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT set_config('bench.ws', :'ws', true) \g /dev/null
DO $$
DECLARE
    ws uuid := current_setting('bench.ws')::uuid;
    j json;
    st text;
    k int := 0;
BEGIN
    FOR n IN 1001..1400 LOOP
        FOREACH st IN ARRAY ARRAY['pending', 'open'] LOOP
            k := k + 1;
            EXECUTE format('EXPLAIN (ANALYZE, FORMAT JSON) UPDATE woes.conversations SET status = %L'
                           ' WHERE workspace_id = %L AND id = bench.conv_id(%s)', st, ws, n) INTO j;
            INSERT INTO ex VALUES ('woes.conversations', k, j);
            EXECUTE format('EXPLAIN (ANALYZE, FORMAT JSON) UPDATE bench.conv SET status = %L'
                           ' WHERE workspace_id = %L AND id = bench.conv_id(%s)', st, ws, n) INTO j;
            INSERT INTO ex VALUES ('bench.conv', k, j);
        END LOOP;
    END LOOP;
END;
$$;
COMMIT;
\pset footer off
SELECT tbl AS "UPDATE of", count(*) AS updates,
       round(avg((plan->0->>'Execution Time')::numeric) * 1000) AS "execution us",
       round(avg((SELECT sum((t->>'Time')::numeric) FROM json_array_elements(plan->0->'Triggers') t)) * 1000) AS "of which triggers us"
  FROM ex WHERE step > 100 GROUP BY tbl ORDER BY tbl DESC;
SELECT t->>'Trigger Name' AS trigger,
       CASE WHEN t->>'Trigger Name' LIKE 'RI_%'
            THEN (SELECT 'FK ' || conname FROM pg_constraint WHERE oid = (SELECT tgconstraint FROM pg_trigger
                   WHERE tgname = t->>'Trigger Name' AND tgrelid = 'woes.conversations'::regclass))
            ELSE '' END AS what,
       -- a trigger that did not fire is not listed: divide by all updates
       round(sum((t->>'Calls')::numeric) / (SELECT count(*) FROM ex WHERE tbl = 'woes.conversations' AND step > 100), 2)
           AS "calls per update",
       round(sum((t->>'Time')::numeric) * 1000 / (SELECT count(*) FROM ex WHERE tbl = 'woes.conversations' AND step > 100))
           AS "us per update"
  FROM ex, json_array_elements(plan->0->'Triggers') t
 WHERE tbl = 'woes.conversations' AND step > 100 GROUP BY 1, 2 ORDER BY 4 DESC;

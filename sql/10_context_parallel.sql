-- The context inside parallel workers, and the cost of the policies: the
-- workspace test is an index condition, evaluated once per scan.
\set VERBOSITY terse
SELECT woes.create_workspace('par-a', 'Parallel A') AS par_a \gset
SELECT woes.create_workspace('par-b', 'Parallel B') AS par_b \gset

-- 3000 conversations in par-a (2000 for one contact, 1000 for another),
-- 1000 in par-b
-- the setting that forces a parallel plan (force_parallel_mode before 16)
SELECT CASE WHEN current_setting('server_version_num')::int >= 160000
            THEN 'debug_parallel_query' ELSE 'force_parallel_mode' END AS force_parallel \gset

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'par_a', 'operator');
SELECT woes.upsert_contact('api', 'pa-1') AS pa1 \gset
SELECT woes.upsert_contact('api', 'pa-2') AS pa2 \gset
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT CASE WHEN i <= 2000 THEN :'pa1'::uuid ELSE :'pa2'::uuid END, 'api', 'parallel ' || i
  FROM generate_series(1, 3000) i;
COMMIT;
BEGIN;
SELECT woes.set_context(:'par_b', 'operator');
SELECT woes.upsert_contact('api', 'pb-1') AS pb1 \gset
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT :'pb1', 'api', 'parallel ' || i FROM generate_series(1, 1000) i;
COMMIT;
RESET ROLE;
ANALYZE woes.conversations;

-- Counts the rows of a query in parallel workers only (the leader does not
-- participate); returns the number of rows and whether workers ran.
CREATE FUNCTION public.worker_rows(query text, OUT launched boolean, OUT worker_rows bigint)
    LANGUAGE plpgsql
AS $$
DECLARE
    plan json;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || query INTO plan;
    -- the Gather node is the top node or directly under the aggregate
    SELECT coalesce((g ->> 'Workers Launched')::int, 0) > 0, (g ->> 'Actual Rows')::numeric::bigint  -- 18 prints 3000.00
      INTO launched, worker_rows
      FROM (SELECT CASE WHEN plan -> 0 -> 'Plan' ->> 'Node Type' = 'Gather' THEN plan -> 0 -> 'Plan'
                        ELSE plan -> 0 -> 'Plan' -> 'Plans' -> 0 END AS g) s;
END;
$$;

-- The plan of a query, with the policies' Filter lines abbreviated (their
-- text belongs to the policies, not to this test).
CREATE FUNCTION public.plan_of(query text) RETURNS SETOF text
    LANGUAGE plpgsql
AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        RETURN NEXT regexp_replace(line, 'Filter: .*(current_audience|in_audience).*', 'Filter: (the audience policies)');
    END LOOP;
END;
$$;

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'par_a', 'operator');
-- serial
SET LOCAL max_parallel_workers_per_gather = 0;
SELECT count(*) AS serial_count FROM woes.conversations;
-- forced parallel: the same count, computed by the workers alone
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL :force_parallel = on;
SET LOCAL parallel_leader_participation = off;
SELECT * FROM public.plan_of('SELECT count(*) FROM woes.conversations');
SELECT count(*) AS parallel_count FROM woes.conversations;
SELECT * FROM public.worker_rows('SELECT id FROM woes.conversations');
-- the workers see the audience and actor too
SELECT woes.set_context(:'par_a', 'customer', :'pa2');
SELECT * FROM public.worker_rows('SELECT id FROM woes.conversations');
SELECT count(*) AS customer_parallel_count FROM woes.conversations;
-- and the other workspace's context
SELECT woes.set_context(:'par_b', 'operator');
SELECT * FROM public.worker_rows('SELECT id FROM woes.conversations');
-- no context: workers see nothing either
SELECT woes.clear_context();
SELECT * FROM public.worker_rows('SELECT id FROM woes.conversations');
COMMIT;
-- a session-level context (where a superuser allows it) reaches them as well
RESET ROLE;
SET woes.allow_session_context = on;
SET ROLE app;
SELECT woes.set_context(:'par_a', 'customer', :'pa1', local => false);
BEGIN;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL :force_parallel = on;
SET LOCAL parallel_leader_participation = off;
SELECT * FROM public.worker_rows('SELECT id FROM woes.conversations');
COMMIT;
RESET woes.workspace;
RESET woes.audience;
RESET woes.actor;
RESET ROLE;
RESET woes.allow_session_context;

--------------------------------------------------------------------------
-- The policies' workspace test is an index condition: current_workspace()
-- is computed once when the scan starts, not once per row
--------------------------------------------------------------------------
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'par_a', 'operator');
-- a point lookup by number
SELECT * FROM public.plan_of('SELECT subject FROM woes.conversations WHERE number = 42');
SELECT subject FROM woes.conversations WHERE number = 42;
-- a customer's own conversations, newest first
SELECT woes.set_context(:'par_a', 'customer', :'pa2');
SELECT * FROM public.plan_of('SELECT number FROM woes.conversations WHERE contact_id = woes.current_actor()
                               ORDER BY id DESC LIMIT 5');
SELECT number FROM woes.conversations WHERE contact_id = woes.current_actor() ORDER BY id DESC LIMIT 5;
COMMIT;
RESET ROLE;

DROP FUNCTION public.worker_rows(text);
DROP FUNCTION public.plan_of(text);

-- "Status comparisons and can_transition do no catalog lookups and no
-- allocation": the check (run by run.sh; needs gdb, and the environment
-- variables WOES_LC_DIR and WOES_LC_OUT that run.sh exports).
--
--   1. which C functions the operators and opclasses of woes.status call;
--   2. static: the machine code of those functions and of can_transition
--      in the installed woes.so, and every call it makes;
--   3. dynamic: gdb counts every call of the allocation and catalog-lookup
--      entry points while one backend runs the same query over 10 rows and
--      over 2,000 rows (a generic plan, so only the executor runs); the
--      counts must not grow with the rows, while can_transition and the
--      operators are called once per row;
--   4. time: the same query over :rows rows, woes.status against int4
--      (same table, same shape, same results);
--   5. memory: the backend's memory contexts before and after.
\set ON_ERROR_STOP on
\if :{?rows}
\else
\set rows 2000000
\endif
SET jit = off;
SET max_parallel_workers_per_gather = 0;
SET plan_cache_mode = force_generic_plan;
-- the operators of woes.status live in schema woes
SET search_path = public, woes;

\echo '-- 1. the C functions behind woes.status operators, opclass support and can_transition'
SELECT string_agg(DISTINCT format('%s %s', o.oprname, p.prosrc), ', ') AS operators
  FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode
 WHERE o.oprleft = 'woes.status'::regtype AND o.oprright = 'woes.status'::regtype \gset
\echo '   operators:' :operators
SELECT string_agg(DISTINCT format('%s(%s) %s', am.amname, ap.amprocnum, p.prosrc), ', ') AS support
  FROM pg_amproc ap JOIN pg_opfamily f ON f.oid = ap.amprocfamily JOIN pg_am am ON am.oid = f.opfmethod
  JOIN pg_proc p ON p.oid = ap.amproc
 WHERE ap.amproclefttype = 'woes.status'::regtype \gset
\echo '   opclass support:' :support
SELECT prosrc || ' (' || CASE provolatile WHEN 'i' THEN 'immutable' ELSE provolatile::text END
       || CASE WHEN proisstrict THEN ', strict' ELSE '' END || ')' AS ct
  FROM pg_proc WHERE oid = 'woes.can_transition(woes.status, woes.status)'::regprocedure \gset
\echo '   can_transition:' :ct

\echo '-- 2. static: machine code of the installed woes.so, every call each function makes'
\! "$WOES_LC_DIR/gdbcount.sh" static

-- a table with every (from, to) pair, as woes.status and as int4
CREATE TABLE bench.st AS
SELECT n, (ARRAY['open','pending','snoozed','resolved','closed'])[n % 5 + 1]::woes.status AS a,
          (ARRAY['open','pending','snoozed','resolved','closed'])[(n / 5) % 5 + 1]::woes.status AS b,
          n % 5 AS ai, (n / 5) % 5 AS bi
  FROM generate_series(1, :rows) n;
VACUUM ANALYZE bench.st;

-- The same aggregates over both column pairs; the int4 query gives the
-- same numbers (the byte is the lifecycle position; can_transition's table
-- is spelled out as the allowed from*5+to codes; hash_uint32 of the same
-- value), so a difference would also be a correctness bug.
PREPARE qs(int) AS
SELECT count(*) FILTER (WHERE woes.can_transition(a, b)) AS allowed,
       count(*) FILTER (WHERE a < b) AS lt, count(*) FILTER (WHERE a <= b) AS le,
       count(*) FILTER (WHERE a = b) AS eq, count(*) FILTER (WHERE a <> b) AS ne,
       count(*) FILTER (WHERE a >= b) AS ge, count(*) FILTER (WHERE a > b) AS gt,
       count(*) FILTER (WHERE woes.status_cmp(a, b) < 0) AS cmp_neg,
       sum(woes.status_hash(a)) AS hash_sum,
       bit_xor(woes.status_hash_extended(b, n)) AS hashx_xor
  FROM bench.st WHERE n <= $1;
PREPARE qi(int) AS
SELECT count(*) FILTER (WHERE ai * 5 + bi = ANY ('{1,2,3,4,5,7,8,9,10,11,12,13,14,15,19}'::int[])) AS allowed,
       count(*) FILTER (WHERE ai < bi) AS lt, count(*) FILTER (WHERE ai <= bi) AS le,
       count(*) FILTER (WHERE ai = bi) AS eq, count(*) FILTER (WHERE ai <> bi) AS ne,
       count(*) FILTER (WHERE ai >= bi) AS ge, count(*) FILTER (WHERE ai > bi) AS gt,
       count(*) FILTER (WHERE btint4cmp(ai, bi) < 0) AS cmp_neg,
       sum(hashint4(ai)) AS hash_sum,
       bit_xor(hashint4extended(bi, n)) AS hashx_xor
  FROM bench.st WHERE n <= $1;
-- the six comparison operators alone, for the timing
PREPARE qs_cmp(int) AS
SELECT count(*) FILTER (WHERE a < b), count(*) FILTER (WHERE a <= b), count(*) FILTER (WHERE a = b),
       count(*) FILTER (WHERE a <> b), count(*) FILTER (WHERE a >= b), count(*) FILTER (WHERE a > b)
  FROM bench.st WHERE n <= $1;
PREPARE qi_cmp(int) AS
SELECT count(*) FILTER (WHERE ai < bi), count(*) FILTER (WHERE ai <= bi), count(*) FILTER (WHERE ai = bi),
       count(*) FILTER (WHERE ai <> bi), count(*) FILTER (WHERE ai >= bi), count(*) FILTER (WHERE ai > bi)
  FROM bench.st WHERE n <= $1;

\echo '-- 3. dynamic: gdb breakpoint counters on one backend, N rows through the query'
-- warm up: load woes.so, fill the caches, build both generic plans
\o /dev/null
EXECUTE qs(10); EXECUTE qi(10); EXECUTE qs(10); EXECUTE qi(10);
\o
SELECT pg_backend_pid() AS pid \gset
\setenv WOES_PID :pid
\o /dev/null
\! "$WOES_LC_DIR/gdbcount.sh" start status_10
EXECUTE qs(10);
SELECT pg_backend_pid();
\! "$WOES_LC_DIR/gdbcount.sh" wait status_10
\! "$WOES_LC_DIR/gdbcount.sh" start status_2000
EXECUTE qs(2000);
SELECT pg_backend_pid();
\! "$WOES_LC_DIR/gdbcount.sh" wait status_2000
\! "$WOES_LC_DIR/gdbcount.sh" start int4_10
EXECUTE qi(10);
SELECT pg_backend_pid();
\! "$WOES_LC_DIR/gdbcount.sh" wait int4_10
\! "$WOES_LC_DIR/gdbcount.sh" start int4_2000
EXECUTE qi(2000);
SELECT pg_backend_pid();
\! "$WOES_LC_DIR/gdbcount.sh" wait int4_2000
\o
\echo '   calls of each entry point during EXECUTE q(N) (plus the end marker SELECT pg_backend_pid()):'
\! "$WOES_LC_DIR/gdbcount.sh" report status_10 status_2000 int4_10 int4_2000
\! "$WOES_LC_DIR/gdbcount.sh" verdict status_10 status_2000 int4_10 int4_2000

\echo '-- 4. time over all' :rows 'rows (best of 5 runs, one backend, no JIT, no parallelism)'
CREATE FUNCTION bench.best_ms(q text, k int) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
    best numeric := 1e12;
BEGIN
    FOR i IN 1..k LOOP
        t0 := clock_timestamp();
        EXECUTE q;
        best := least(best, extract(epoch FROM clock_timestamp() - t0) * 1000);
    END LOOP;
    RETURN round(best, 1);
END;
$$;
-- warm (the function compiled, its plans cached) before the memory is read
SELECT bench.best_ms(format('EXECUTE %s(%s)', q, :rows), 1) FROM unnest('{qi,qs,qi_cmp,qs_cmp}'::text[]) q \g /dev/null
SELECT sum(total_bytes) AS mem_before FROM pg_backend_memory_contexts \gset
SELECT bench.best_ms(format('EXECUTE qi(%s)', :rows), 5) AS int_ms,
       bench.best_ms(format('EXECUTE qs(%s)', :rows), 5) AS status_ms,
       bench.best_ms(format('EXECUTE qi_cmp(%s)', :rows), 5) AS int_cmp_ms,
       bench.best_ms(format('EXECUTE qs_cmp(%s)', :rows), 5) AS status_cmp_ms \gset
SELECT round(:'status_ms'::numeric / :'int_ms'::numeric, 2) AS rel,
       round(:'status_cmp_ms'::numeric / :'int_cmp_ms'::numeric, 2) AS rel_cmp \gset
\echo '   all ten aggregates:        int4' :int_ms 'ms, woes.status' :status_ms 'ms (x' :rel ')'
\echo '   six comparisons only:      int4' :int_cmp_ms 'ms, woes.status' :status_cmp_ms 'ms (x' :rel_cmp ')'
SELECT sum(total_bytes) AS mem_after FROM pg_backend_memory_contexts \gset
\echo '   results of both queries over all rows (must be equal):'
EXECUTE qs(:rows);
EXECUTE qi(:rows);
\echo '-- 5. memory: backend memory contexts before / after the 20 timed runs:' :mem_before 'bytes /' :mem_after 'bytes'
DROP TABLE bench.st;
DROP FUNCTION bench.best_ms(text, int);

-- woes benchmark: server-side micro-benchmark (test/bench/micro.sql)
--
-- The pgbench pairs measure TPS, which on a shared 2-core machine moves
-- with whatever else runs.  This measures the same work inside one backend,
-- in short batches that alternate between the baseline and the RLS variant
-- (by SET ROLE: bench_base bypasses RLS, bench_rls does not), so both see
-- the same disturbances; the minimum and the median over the batches are
-- robust figures of the cost of one operation.
--
--   psql -X -v batches=30 -v iters=300 -f micro.sql bench_large
--
-- Run as a superuser in a database made by generate.sql, with the roles
-- bench_rls and bench_base of run.sh.  Prints one line per kind and mode:
--   kind mode base_min_us base_median_us rls_min_us rls_median_us median_ratio
-- where an operation is set_context + the statement (as in the pgbench
-- scripts, without the round trips), median_ratio = median over the batch
-- pairs of base/rls (>= 0.90 is the target, 1.0 = no cost).
--   point: the conversation of bench.ids n, looked up by id
--   inbox: the 50-row inbox page of a workspace of bench.inbox_ws
--   inbox_top: the inbox page of the largest workspace
--   top_after_small: the same, but (prepared) with the plan cached by a
--     first run for the smallest workspace of bench.inbox_ws: the policy's
--     current_workspace() is folded into the estimates when a statement is
--     planned, and a cached plan is reused for every workspace after
--   counts_after_top: the per-status counts of the smallest workspace of
--     bench.inbox_ws (an aggregate, no LIMIT), with the plan cached by a
--     first run for the largest: planned for the largest workspace it is a
--     sequential scan of the table, which a small workspace must not pay
--     for (src/plans.c makes it again); simple mode is the fresh plan
-- Modes: prepared (plpgsql static SQL: a cached plan) and simple (EXECUTE:
-- parsed and planned every time).

\set QUIET on
\set ON_ERROR_STOP on
\if :{?batches} \else \set batches 30 \endif
\if :{?iters} \else \set iters 300 \endif

SET search_path = pg_catalog, public, woes;

CREATE OR REPLACE FUNCTION bench.micro(kind text, variant text, mode text, iters int)
    RETURNS float8
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, woes
AS $$
DECLARE
    nids int := (SELECT value::int FROM bench.meta WHERE key = 'nids');
    ninbox int := (SELECT value::int FROM bench.meta WHERE key = 'ninbox');
    t0 timestamptz;
    k int;
    r record;
    dummy int;
BEGIN
    -- top_after_small runs as many operations as the other kinds, so that
    -- the per-batch costs weigh the same in its ratio to inbox_top (a
    -- page planned for the small workspace read a whole large one, 21 ms,
    -- before src/plans.c); an aggregate planned for the largest workspace
    -- may scan the table each time, so fewer of those
    IF kind = 'counts_after_top' THEN
        iters := greatest(iters / 10, 10);
    END IF;
    t0 := pg_catalog.clock_timestamp();
    FOR i IN 1..iters LOOP
        IF kind = 'point' THEN
            k := 1 + (i * 7919) % nids;
            PERFORM woes.set_context(b.workspace_id, 'operator') FROM bench.ids b WHERE b.n = k;
            IF variant = 'rls' AND mode = 'prepared' THEN
                SELECT c.* INTO r FROM bench.ids b JOIN woes.conversations c ON c.id = b.id WHERE b.n = k;
            ELSIF variant = 'base' AND mode = 'prepared' THEN
                SELECT c.* INTO r FROM bench.ids b JOIN woes.conversations c
                    ON c.workspace_id = b.workspace_id AND c.id = b.id WHERE b.n = k;
            ELSIF variant = 'rls' THEN
                EXECUTE 'SELECT c.* FROM bench.ids b JOIN woes.conversations c ON c.id = b.id WHERE b.n = $1'
                    INTO r USING k;
            ELSE
                EXECUTE 'SELECT c.* FROM bench.ids b JOIN woes.conversations c '
                        'ON c.workspace_id = b.workspace_id AND c.id = b.id WHERE b.n = $1'
                    INTO r USING k;
            END IF;
            IF r IS NULL THEN
                RAISE EXCEPTION 'bench.micro: no row for bench.ids n = %', k;
            END IF;
        ELSIF kind = 'counts_after_top' THEN
            IF pg_catalog.current_setting('bench.primed_' || kind || variant || '_' || mode, true) IS NULL THEN
                -- the very first run is the largest workspace, every later one the smallest
                k := 1;
                PERFORM pg_catalog.set_config('bench.primed_' || kind || variant || '_' || mode, 'yes', false);
            ELSE
                k := ninbox;
            END IF;
            PERFORM woes.set_context(w.workspace_id, 'operator') FROM bench.inbox_ws w WHERE w.n = k;
            IF mode = 'prepared' AND variant = 'rls' THEN
                SELECT sum(s.n) INTO dummy FROM (
                    SELECT status, count(*) AS n FROM woes.conversations GROUP BY status) s;
            ELSIF mode = 'prepared' THEN
                SELECT sum(s.n) INTO dummy FROM (
                    SELECT status, count(*) AS n FROM woes.conversations
                     WHERE workspace_id = woes.current_workspace() GROUP BY status) s;
            ELSE
                EXECUTE format(
                    'SELECT sum(s.n) FROM (SELECT status, count(*) AS n FROM woes.conversations %s '
                    'GROUP BY status) s',
                    CASE variant WHEN 'base' THEN 'WHERE workspace_id = woes.current_workspace()' ELSE '' END)
                    INTO dummy;
            END IF;
            IF dummy IS NULL OR dummy < 50 THEN
                RAISE EXCEPTION 'bench.micro: % conversations counted for bench.inbox_ws n = %', dummy, k;
            END IF;
        ELSE
            IF kind = 'inbox' THEN
                -- the first run (which makes the cached plan) is the largest
                k := 1 + ((i - 1) * 7919) % ninbox;
            ELSIF kind = 'inbox_top' THEN
                k := 1;
            ELSIF pg_catalog.current_setting('bench.primed_' || variant || '_' || mode, true) IS NULL THEN
                -- top_after_small: the very first run is the smallest inbox
                -- workspace, every later one the largest
                k := ninbox;
                PERFORM pg_catalog.set_config('bench.primed_' || variant || '_' || mode, 'yes', false);
            ELSE
                k := 1;
            END IF;
            PERFORM woes.set_context(w.workspace_id, 'operator') FROM bench.inbox_ws w WHERE w.n = k;
            -- one static statement per kind and variant: each has its own
            -- cached plan, made at its first run (see the README on plan
            -- caching across workspaces)
            IF mode = 'prepared' AND variant = 'rls' AND kind = 'top_after_small' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSIF mode = 'prepared' AND kind = 'top_after_small' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE workspace_id = woes.current_workspace() AND status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSIF mode = 'prepared' AND variant = 'rls' AND kind = 'inbox' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSIF mode = 'prepared' AND variant = 'rls' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSIF mode = 'prepared' AND kind = 'inbox' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE workspace_id = woes.current_workspace() AND status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSIF mode = 'prepared' THEN
                SELECT count(p.*) INTO dummy FROM (
                    SELECT id, number, channel, status, control, contact_id, assignee_id, team_id,
                           subject, last_message_at, waiting_since
                      FROM woes.conversations
                     WHERE workspace_id = woes.current_workspace() AND status = 'open'
                     ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p;
            ELSE
                EXECUTE format(
                    'SELECT count(p.*) FROM (SELECT id, number, channel, status, control, contact_id, '
                    'assignee_id, team_id, subject, last_message_at, waiting_since '
                    'FROM woes.conversations WHERE %s status = ''open'' '
                    'ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50) p',
                    CASE variant WHEN 'base' THEN 'workspace_id = woes.current_workspace() AND' ELSE '' END)
                    INTO dummy;
            END IF;
            IF dummy <> 50 THEN
                RAISE EXCEPTION 'bench.micro: inbox page of % rows for bench.inbox_ws n = %', dummy, k;
            END IF;
        END IF;
    END LOOP;
    RETURN extract(epoch FROM pg_catalog.clock_timestamp() - t0) * 1e6 / iters;
END;
$$;
GRANT EXECUTE ON FUNCTION bench.micro(text, text, text, int) TO PUBLIC;

CREATE TEMP TABLE micro_result (kind text, mode text, batch int, variant text, us float8);
GRANT ALL ON micro_result TO PUBLIC;

-- one batch of each variant, in alternating order; a transaction per batch
-- (the context is transaction-local)
CREATE OR REPLACE FUNCTION pg_temp.batch(kind text, mode text, b int, iters int) RETURNS void
    LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    FOREACH v IN ARRAY CASE WHEN b % 2 = 0 THEN ARRAY['base', 'rls'] ELSE ARRAY['rls', 'base'] END LOOP
        EXECUTE format('SET LOCAL ROLE bench_%s', v);
        INSERT INTO micro_result VALUES (kind, mode, b, v, bench.micro(kind, v, mode, iters));
        RESET ROLE;
    END LOOP;
END;
$$;

-- warm-up (plans, caches), not recorded
SELECT pg_temp.batch(k, m, 0, 20), pg_temp.batch(k, m, 1, 20)
  FROM unnest(ARRAY['point', 'inbox', 'inbox_top', 'top_after_small', 'counts_after_top']) k,
       unnest(ARRAY['prepared', 'simple']) m \g /dev/null
TRUNCATE micro_result;

SELECT pg_temp.batch(k, m, b, :iters)
  FROM generate_series(1, :batches) b,
       unnest(ARRAY['point', 'inbox', 'inbox_top', 'top_after_small', 'counts_after_top']) k,
       unnest(ARRAY['prepared', 'simple']) m
 ORDER BY b, k, m \g /dev/null

\pset format unaligned
\pset tuples_only on
\pset fieldsep ' '
SELECT r.kind, r.mode,
       round(min(r.us) FILTER (WHERE r.variant = 'base')::numeric, 1),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.us) FILTER (WHERE r.variant = 'base'))::numeric, 1),
       round(min(r.us) FILTER (WHERE r.variant = 'rls')::numeric, 1),
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY r.us) FILTER (WHERE r.variant = 'rls'))::numeric, 1),
       round((SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.us / l.us)
                FROM micro_result b JOIN micro_result l USING (kind, mode, batch)
               WHERE b.variant = 'base' AND l.variant = 'rls'
                 AND b.kind = r.kind AND b.mode = r.mode)::numeric, 3)
  FROM micro_result r
 GROUP BY r.kind, r.mode
 ORDER BY r.kind, r.mode;

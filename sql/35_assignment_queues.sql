-- The inbox per team and per assignee, in the orders an operator reads
-- them: a team's queue oldest waiting first, or unassigned first then
-- oldest waiting; an assignee's own, oldest waiting first.  Each order has
-- an index behind it: the plan reads the index in order (no Sort), also
-- through the inbox view and as an operator under row-level security.
-- (On one server: Citus plans differ, and its own tests cover routing.)
\set VERBOSITY terse
SET search_path = public, woes;

SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset

-- plan(query): the plan's nodes, each with the index it reads
CREATE FUNCTION pg_temp.plan(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        IF line ~ '(Sort|Index|Seq Scan|Bitmap)' THEN
            RETURN NEXT regexp_replace(regexp_replace(btrim(line), '^-> *', ''),
                                       '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', '<uuid>', 'g');
        END IF;
    END LOOP;
END;
$$;
GRANT EXECUTE ON FUNCTION pg_temp.plan(text) TO app;

-- a team id as a value (any: the plan is the point)
\set desk '01a00000-0000-7000-8000-0000000000d5'
-- the planner picks an index for order alone only when a scan of the
-- table costs more: forbid the alternatives rather than load a large table
SET enable_seqscan = off;
SET enable_sort = off;
SET enable_bitmapscan = off;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
-- a team's queue, oldest waiting first
SELECT pg_temp.plan(format($q$
    SELECT id FROM woes.inbox WHERE workspace_id = %L AND team_id = %L AND status = 'open'
     ORDER BY waiting_since LIMIT 25 $q$, :'acme', :'desk')) AS team_by_waiting;
-- a team's queue, unassigned first, then oldest waiting
SELECT pg_temp.plan(format($q$
    SELECT id FROM woes.inbox WHERE workspace_id = %L AND team_id = %L AND status = 'open'
     ORDER BY assignee_id IS NOT NULL, waiting_since LIMIT 25 $q$, :'acme', :'desk')) AS team_unassigned_first;
-- an assignee's conversations, oldest waiting first
SELECT pg_temp.plan(format($q$
    SELECT id FROM woes.inbox WHERE workspace_id = %L AND assignee_id = %L AND status = 'open'
     ORDER BY waiting_since LIMIT 25 $q$, :'acme', :'ann')) AS assignee_by_waiting;
-- the same from the table, without naming the workspace (the policy does)
SELECT pg_temp.plan(format($q$
    SELECT id FROM woes.conversations WHERE team_id = %L AND status = 'open'
     ORDER BY assignee_id IS NOT NULL, waiting_since LIMIT 25 $q$, :'desk')) AS table_unassigned_first;
COMMIT;
RESET ROLE;
RESET enable_seqscan;
RESET enable_sort;
RESET enable_bitmapscan;

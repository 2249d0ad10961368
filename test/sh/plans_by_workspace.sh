#!/usr/bin/env bash
# A page's cached plan is made again when the session moves to a larger
# workspace (src/plans.c).  The policy's workspace_id = current_workspace()
# is folded into the estimates when a statement is planned, and a prepared
# statement has no parameter for it: without this, a page planned for a
# small workspace (read all its open conversations, then sort) is reused for
# a large one, and reads all of the large one's.
#
# A database of its own (ANALYZE would move the plans of the other suites):
# a large workspace (60,000 conversations) and a small one (30), loaded raw,
# analyzed.  The small workspace's plan is made with index scans off, so
# that it is the read-all-then-sort plan whatever the data; then index scans
# are allowed again, and EXPLAIN EXECUTE shows which plan the prepared
# statement runs after the move (a planner setting alone never makes a
# cached plan again):
#   1. small, then large: the page is planned again (the index, in order);
#   2. large, then small: the large workspace's plan is kept (it serves a
#      small one in O(page) too);
#   3. a point lookup (no LIMIT) is not planned again;
#   4. a page in a subquery, through the woes.inbox view, is planned again
#      too;
#   5. between two workspaces of about one size nothing is planned again;
#   7. a plan that reads a share of the workspace (an aggregate) is planned
#      again in both directions: for the large workspace (a sequential scan)
#      and back for a small one (by index, not every workspace's rows);
#   8. ... also when the workspace comes back by ROLLBACK TO SAVEPOINT (the
#      setting's undo, where the catalog cannot be read);
#   9. a page planned with no workspace set is planned again for one;
#  10. a page inside a sublink (the planner makes it a subplan) is planned
#      again too;
#   6. woes's own paging functions (events_since, resolved_conversations:
#      their statements' plans kept by the session) read one page of the
#      large workspace's outbox by its key after serving the small workspace
#      from cursor 0 many times (their workspace and cursor are parameters,
#      so the plan cache plans them per call or generically, never for the
#      small workspace's values; auto_explain shows the plan they run).
#      events_since runs no query at all unless a DBA's policy is on the
#      outbox (then its query is checked, with such a policy in place).
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
role=woes_plans_app
scratch_db woes_plans_test $role
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
SELECT woes.create_workspace('large', 'Large') \g /dev/null
SELECT woes.create_workspace('small', 'Small') \g /dev/null
SELECT woes.create_workspace('small2', 'Small 2') \g /dev/null
-- raw rows, as a restore writes them (the triggers would take minutes)
SET session_replication_role = replica;
INSERT INTO woes.contacts (workspace_id, id, name)
SELECT id, woes.uuid_generate_v7(), 'c' FROM woes.workspaces;
INSERT INTO woes.conversations (workspace_id, id, number, channel, status, control, contact_id, last_message_at)
SELECT w.id, woes.uuid_generate_v7(), g, 'api',
       (CASE WHEN g % 3 = 0 THEN 'open' ELSE 'resolved' END)::woes.status, 'operator',
       (SELECT c.id FROM woes.contacts c WHERE c.workspace_id = w.id), now() - random() * interval '30 days'
  FROM woes.workspaces w, generate_series(1, CASE WHEN w.slug = 'large' THEN 60000 ELSE 30 END) g;
-- the outbox: 100,000 events of the large workspace, 20 of a small one,
-- interleaved as a live outbox is; a tenth of them resolutions
INSERT INTO woes.events (workspace_id, kind, conversation_id, payload)
SELECT w.id, CASE WHEN g % 10 = 0 THEN 'conversation.status_changed' ELSE 'message.created' END,
       (SELECT c.id FROM woes.conversations c WHERE c.workspace_id = w.id AND c.number = 1),
       CASE WHEN g % 10 = 0 THEN '{"to": "resolved"}' ELSE '{}' END::jsonb
  FROM woes.workspaces w, generate_series(1, CASE WHEN w.slug = 'large' THEN 100000 ELSE 20 END) g
 WHERE w.slug <> 'small2'
 ORDER BY g, w.slug;
RESET session_replication_role;
ANALYZE;
SQL

out=$(psql -qX -v ON_ERROR_STOP=1 -d $db 2>&1 <<'SQL'
SET client_min_messages = warning;
SELECT id AS large FROM woes.workspaces WHERE slug = 'large' \gset
SELECT id AS small FROM woes.workspaces WHERE slug = 'small' \gset
SELECT id AS small2 FROM woes.workspaces WHERE slug = 'small2' \gset
SET ROLE woes_plans_app;
SET search_path = woes, public;
\pset format unaligned
\pset tuples_only on
PREPARE page AS SELECT id FROM woes.conversations WHERE status = 'open'
                 ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50;
PREPARE inbox_page AS SELECT count(*) FROM (SELECT id FROM woes.inbox LIMIT 50) p;
PREPARE point AS SELECT id FROM woes.conversations WHERE number = 7;

\echo == 1. small, then large
BEGIN;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
SET LOCAL enable_indexscan = off;
EXPLAIN (COSTS OFF) EXECUTE page;
EXPLAIN (COSTS OFF) EXECUTE inbox_page;
EXPLAIN (COSTS OFF) EXECUTE point;
COMMIT;
BEGIN;
SELECT woes.set_context(:'large', 'operator') \g /dev/null
\echo -- page after the move
EXPLAIN (COSTS OFF, ANALYZE, TIMING OFF, SUMMARY OFF) EXECUTE page;
\echo -- inbox page after the move
EXPLAIN (COSTS OFF) EXECUTE inbox_page;
\echo -- point after the move
EXPLAIN (COSTS OFF) EXECUTE point;
COMMIT;

\echo == 2. large, then small
BEGIN;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
SET LOCAL enable_indexscan = off;
\echo -- page back in the small workspace
EXPLAIN (COSTS OFF) EXECUTE page;
COMMIT;

\echo == 5. about one size
DEALLOCATE page;
PREPARE page AS SELECT id FROM woes.conversations WHERE status = 'open'
                 ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50;
BEGIN;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
SET LOCAL enable_indexscan = off;
EXPLAIN (COSTS OFF) EXECUTE page;
COMMIT;
BEGIN;
SELECT woes.set_context(:'small2', 'operator') \g /dev/null
\echo -- page in the other small workspace
EXPLAIN (COSTS OFF) EXECUTE page;
COMMIT;

\echo == 7. an aggregate, both ways
PREPARE agg AS SELECT status, count(*) FROM woes.conversations GROUP BY status;
BEGIN;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
\echo -- aggregate in the small workspace
EXPLAIN (COSTS OFF) EXECUTE agg;
COMMIT;
BEGIN;
SELECT woes.set_context(:'large', 'operator') \g /dev/null
\echo -- aggregate after the move to the large workspace
EXPLAIN (COSTS OFF) EXECUTE agg;
COMMIT;
BEGIN;
SELECT woes.set_context(:'small2', 'operator') \g /dev/null
\echo -- aggregate back in a small workspace
EXPLAIN (COSTS OFF) EXECUTE agg;
COMMIT;

\echo == 8. back to a workspace by the undo of a savepoint
PREPARE agg2 AS SELECT status, count(*) FROM woes.conversations GROUP BY status;
BEGIN;
SELECT woes.set_context(:'large', 'operator') \g /dev/null
EXPLAIN (COSTS OFF) EXECUTE agg2;
SAVEPOINT s;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
\echo -- aggregate in the savepoint, small workspace
EXPLAIN (COSTS OFF) EXECUTE agg2;
ROLLBACK TO SAVEPOINT s;
\echo -- aggregate after the undo of the savepoint, large workspace
EXPLAIN (COSTS OFF) EXECUTE agg2;
COMMIT;

\echo == 9. planned with no workspace set
PREPARE page0 AS SELECT id FROM woes.conversations WHERE status = 'open'
                 ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50;
BEGIN;
SET LOCAL enable_indexscan = off;
\echo -- page with no workspace
EXPLAIN (COSTS OFF) EXECUTE page0;
COMMIT;
BEGIN;
SELECT woes.set_context(:'large', 'operator') \g /dev/null
\echo -- page planned with no workspace, after the move to the large workspace
EXPLAIN (COSTS OFF) EXECUTE page0;
COMMIT;

\echo == 10. a page in a sublink
PREPARE sub AS SELECT array_length(ARRAY(SELECT id FROM woes.conversations WHERE status = 'open'
                 ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50), 1);
BEGIN;
SELECT woes.set_context(:'small', 'operator') \g /dev/null
SET LOCAL enable_indexscan = off;
\echo -- page in a sublink, small workspace
EXPLAIN (COSTS OFF) EXECUTE sub;
COMMIT;
BEGIN;
SELECT woes.set_context(:'large', 'operator') \g /dev/null
\echo -- page in a sublink after the move to the large workspace
EXPLAIN (COSTS OFF) EXECUTE sub;
COMMIT;

SQL
) || { echo "$out"; echo "FAIL: psql"; exit 1; }
echo "$out"

# 6. auto_explain's plans come as notices (stderr), so each function runs in
# a psql of its own whose stderr is the text checked: seven calls in the
# small workspace from cursor 0 (past the plan cache's five custom plans),
# then one page of the large workspace's outbox, near its end
outbox() {  # outbox FUNCTION CURSOR-OFFSET [PLAN-CACHE-MODE]
    psql -qX -v ON_ERROR_STOP=1 -d $db -o /dev/null 2>&1 <<SQL
SET client_min_messages = warning;
SET plan_cache_mode = ${3:-auto};
SELECT id AS large FROM woes.workspaces WHERE slug = 'large' \\gset
SELECT id AS small FROM woes.workspaces WHERE slug = 'small' \\gset
SELECT max(id) - $2 AS cursor FROM woes.events \\gset
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_buffers = off;
SET auto_explain.log_level = notice;
SET ROLE woes_plans_app;
BEGIN;
SELECT woes.set_context(:'small', 'operator');
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
SELECT count(*) FROM woes.$1(0, 50);
COMMIT;
BEGIN;
SELECT woes.set_context(:'large', 'operator');
SET LOCAL client_min_messages = notice;
SELECT count(*) FROM woes.$1(:cursor, 50);
COMMIT;
SQL
}
# events_since reads the page from the outbox's key, with no query, unless
# a DBA's policy (here a restrictive one that hides nothing) makes it run
# the query it stands for: that query's plan is the one checked
evd=$(outbox events_since 1000) || { echo "$evd"; echo "FAIL: psql"; exit 1; }
psql -qX -v ON_ERROR_STOP=1 -d $db -c "CREATE POLICY plans_dba ON woes.events AS RESTRICTIVE FOR SELECT USING (true)"
ev=$(outbox events_since 1000) || { echo "$ev"; echo "FAIL: psql"; exit 1; }
rc=$(outbox resolved_conversations 99000) || { echo "$rc"; echo "FAIL: psql"; exit 1; }
# the same with the generic plan (a driver's or a pooler's plan_cache_mode,
# or the plan cache's own choice after five calls): the cursor must still be
# an index condition under the policies
evg=$(outbox events_since 1000 force_generic_plan) || { echo "$evg"; echo "FAIL: psql"; exit 1; }
psql -qX -v ON_ERROR_STOP=1 -d $db -c "DROP POLICY plans_dba ON woes.events"
rcg=$(outbox resolved_conversations 99000 force_generic_plan) || { echo "$rcg"; echo "FAIL: psql"; exit 1; }
echo "-- events_since after the move"; echo "$ev"
echo "-- events_since after the move, generic plan"; echo "$evg"
echo "-- resolved_conversations after the move"; echo "$rc"
echo "-- resolved_conversations after the move, generic plan"; echo "$rcg"

failures=0
section() {  # section TITLE: the lines after "-- TITLE" up to the next "--" or "==" line
    awk -v t="-- $1" '$0 == t { on = 1; next } on && /^(--|==)/ { exit } on' <<< "$out"
}
check() {  # check WHAT PATTERN TEXT [absent]
    if { [ "${4:-}" = absent ] && ! grep -qE "$2" <<< "$3"; } || { [ "${4:-}" != absent ] && grep -qE "$2" <<< "$3"; }; then
        echo "ok   - $1"
    else
        echo "FAIL - $1"; failures=$((failures + 1))
    fi
}
small_plans=$(awk '/^== 1\./ { on = 1; next } /^-- page after/ { exit } on' <<< "$out")
check "in the small workspace (index scans off) the page is planned as a bitmap scan and a sort" \
      'Bitmap Heap Scan' "$small_plans"
page=$(section "page after the move")
check "1. after the move to the large workspace the page is planned again: the inbox index, in order" \
      '^ *-> +Index Scan using conversations_inbox_idx' "$page"
# (PostgreSQL 18 prints actual rows with two decimals)
check "1. ... and reads one page (50 rows), not every open conversation" \
      'Index Scan using conversations_inbox_idx on conversations \(actual rows=50(\.00)? ' "$page"
check "1. ... no sort" 'Sort' "$page" absent
check "4. the page through woes.inbox, in a subquery, is planned again (no bitmap scan)" \
      'Bitmap Heap Scan' "$(section "inbox page after the move")" absent
check "3. the point lookup (no LIMIT) is not planned again (still its bitmap scan)" \
      'Bitmap Heap Scan' "$(section "point after the move")"
check "2. back in the small workspace the large workspace's plan is kept (the index, in order)" \
      'Index Scan using conversations_inbox_idx' "$(section "page back in the small workspace")"
check "5. between two small workspaces the page is not planned again (still the bitmap scan)" \
      'Bitmap Heap Scan' "$(section "page in the other small workspace")"
check "6. events_since without a DBA's policy: no query (the page read from the outbox key)" \
      'on events e' "$evd" absent
check "6. events_since in the large workspace, after the small one from cursor 0: the outbox key, one page" \
      'Index Scan using events_pkey on events e .*\(actual rows=50(\.00)? ' "$ev"
check "6. ... no sort, no filtered rows" 'Sort|Rows Removed' "$ev" absent
check "6. events_since with a generic plan: the outbox key, one page" \
      'Index Scan using events_pkey on events e .*\(actual rows=50(\.00)? ' "$evg"
check "6. ... the cursor in the index condition, no filtered rows" 'Rows Removed' "$evg" absent
check "6. resolved_conversations in the large workspace, after the small one: the resolutions index, in order" \
      'Index (Only )?Scan using events_resolutions_idx on events e' "$rc"
# (from PostgreSQL 16 the fields' ordered jsonb_object_agg shows a Sort of
# its own, by v.key: only a sort of the events would be wrong)
check "6. ... no sort of the workspace's outbox" 'Sort Key: .*\be\.id' "$rc" absent
check "6. resolved_conversations with a generic plan: the resolutions index, the cursor in its condition" \
      'Index Cond: \(\(workspace_id = \$[0-9]+\) AND \(id > \$[0-9]+\)' "$rcg"
check "7. an aggregate planned for the small workspace reads it by index" \
      'Seq Scan' "$(section "aggregate in the small workspace")" absent
check "7. ... after the move to the large workspace it is planned again: a sequential scan" \
      'Seq Scan on conversations' "$(section "aggregate after the move to the large workspace")"
check "7. ... and back in a small workspace planned again: by index, not every workspace's rows" \
      'Seq Scan' "$(section "aggregate back in a small workspace")" absent
check "8. inside a savepoint, in the small workspace, the aggregate is planned again: by index" \
      'Seq Scan' "$(section "aggregate in the savepoint, small workspace")" absent
check "8. ... after ROLLBACK TO SAVEPOINT, back in the large workspace, it is planned again: a sequential scan" \
      'Seq Scan on conversations' "$(section "aggregate after the undo of the savepoint, large workspace")"
check "9. a page planned with no workspace set (index scans off) is a bitmap scan and a sort" \
      'Bitmap Heap Scan' "$(section "page with no workspace")"
check "9. ... in the large workspace it is planned again: the inbox index, in order" \
      'Index Scan using conversations_inbox_idx' "$(section "page planned with no workspace, after the move to the large workspace")"
check "10. a page in a sublink, planned for the small workspace (index scans off), is a bitmap scan" \
      'Bitmap Heap Scan' "$(section "page in a sublink, small workspace")"
check "10. ... in the large workspace it is planned again: the inbox index, in order" \
      'Index Scan using conversations_inbox_idx' "$(section "page in a sublink after the move to the large workspace")"
echo "plans_by_workspace: $failures failure(s)"
[ "$failures" -eq 0 ]

#!/usr/bin/env bash
# Routing benchmark of woes (issue 12, "Performance").  One command:
#
#   test/bench/routing/run.sh
#
# It makes its own throwaway PostgreSQL cluster (test/throwaway; dropped on
# exit), creates the installed extension, loads one workspace with
# OPERATORS operators (all members of two teams) carrying CONVERSATIONS open
# conversations, plus a pool of unassigned ones, and runs pgbench pairs, in
# the same run: woes.route of the pool's next conversation to a team against
# woes.assign of the pool's next conversation to a fixed member of that team
# (one real assignment each: history, event, load), as a LOGIN member of
# woes_service under a context set in each transaction.  Prints TPS, server
# CPU per transaction and the ratio route/assign (target >= 0.5).
#
# Settings (environment):
#   DURATION=8         seconds per pgbench run (-T; the pool must outlast it)
#   CLIENTS=2          pgbench clients (-c, -j)
#   ROUNDS=2           rounds of (assign, route), the order alternated
#   OPERATORS=50  CONVERSATIONS=20000  POOL=50000 (the unassigned pool; each
#                      transaction takes one; put back before each run)
#
# Needs postgresql-$major with pgbench, pg_virtualenv, root, and woes installed
# for that major (make install).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/../lib/result.sh"

if [ -z "${WOES_RT_INNER:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major
    bin=/usr/lib/postgresql/$major/bin
    [ -x "$bin/pgbench" ] || { echo "run.sh: $bin/pgbench is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    [ -f "$("$bin/pg_config" --sharedir)/extension/woes.control" ] || {
        echo "run.sh: woes is not installed for PostgreSQL $major; run make install first" >&2; exit 1; }
    export WOES_RT_INNER=1
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" \
        "$HERE/$(basename "$0")" "$@"
fi

# ---- inside the throwaway cluster ------------------------------------------
export PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
DURATION=${DURATION:-8}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-2}
OPERATORS=${OPERATORS:-50}
CONVERSATIONS=${CONVERSATIONS:-20000}
POOL=${POOL:-50000}
psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

echo "== woes routing benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   $(psql_ -Atc 'select version()')  cores=$(nproc)" \
     "woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
if git -C "$HERE" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "   source tree: $(git -C "$HERE" rev-parse --short HEAD)"
fi
echo "== setup: $OPERATORS operators in two teams, $CONVERSATIONS assigned open conversations, a pool of $POOL"
t0=$(date +%s)
psql_ -c "CREATE EXTENSION woes"
psql_ -v operators="$OPERATORS" -v conversations="$CONVERSATIONS" -v pool="$POOL" -f "$HERE/setup.sql" >/dev/null
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-routing'")
echo "   loaded in $(( $(date +%s) - t0 )) s"
APP_PASSWORD=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
psql_ <<SQL
CREATE ROLE bench_app LOGIN PASSWORD '$APP_PASSWORD' IN ROLE woes_service;
GRANT USAGE ON SCHEMA bench TO bench_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO bench_app;
GRANT USAGE ON SEQUENCE bench.pool_seq TO bench_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO bench_app;
SQL

PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }
declare -A TPS_SUM CPU_SUM
run_pgbench() {	# script
    local script=$1 out c0 c1 tps txns cpu
    # the pool back: unassigned (through the triggers, as the admin), its cursor at 1
    psql_ -c "BEGIN" -c "SELECT woes.set_context('$WS', 'admin')" \
          -c "UPDATE woes.conversations c SET assignee_id = NULL, team_id = NULL FROM bench.pool p
               WHERE c.workspace_id = '$WS' AND c.id = p.id AND (c.assignee_id IS NOT NULL OR c.team_id IS NOT NULL)" \
          -c "COMMIT" -c "SELECT setval('bench.pool_seq', 1, false)" >/dev/null
    psql_ -c "VACUUM ANALYZE woes.conversations, woes.operator_loads, woes.assignments, woes.events" -c "CHECKPOINT"
    c0=$(children_cpu)
    if ! out=$(PGUSER=bench_app PGPASSWORD=$APP_PASSWORD \
               pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -M prepared \
                       -f "$HERE/$script.pgbench" -D ws="$WS" 2>&1); then
        echo "$out" >&2; echo "run.sh: pgbench $script failed" >&2; exit 1
    fi
    sleep 2
    c1=$(children_cpu)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n="$txns" 'BEGIN { printf "%.0f", d / t * 1e6 / n }')
    printf '   %-8s tps %8.1f   server CPU %5d us/txn   (%d txns)\n' "$script" "$tps" "$cpu" "$txns"
    TPS_SUM[$script]=$(awk -v a="${TPS_SUM[$script]:-0}" -v b="$tps" 'BEGIN { print a + b }')
    CPU_SUM[$script]=$(awk -v a="${CPU_SUM[$script]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
}

echo "== pgbench: -n -c $CLIENTS -j $CLIENTS -T $DURATION -M prepared, as bench_app, $ROUNDS round(s)"
for r in $(seq 1 "$ROUNDS"); do
    echo "-- round $r"
    if [ $((r % 2)) = 1 ]; then run_pgbench assign; run_pgbench route; else run_pgbench route; run_pgbench assign; fi
done
wrong=$(psql_ -Atc "SELECT count(*) FROM woes.operators o
                     LEFT JOIN woes.operator_loads l ON l.workspace_id = o.workspace_id AND l.operator_id = o.id
                    WHERE coalesce(l.open_count, 0) <> (SELECT count(*) FROM woes.conversations c
                           WHERE c.workspace_id = o.workspace_id AND c.assignee_id = o.id
                             AND c.status OPERATOR(woes.=) ANY ('{open,pending}'))")
echo "   operators whose kept load differs from a count of their conversations: $wrong"
echo "== result (mean over $ROUNDS round(s))"
awk -v a="${TPS_SUM[assign]}" -v r="${TPS_SUM[route]}" -v ca="${CPU_SUM[assign]}" -v cr="${CPU_SUM[route]}" -v n="$ROUNDS" 'BEGIN {
    printf "   woes.assign  %8.1f tps   %5.0f us server CPU/txn\n", a / n, ca / n;
    printf "   woes.route   %8.1f tps   %5.0f us server CPU/txn\n", r / n, cr / n;
    printf "   RATIO route/assign = %.2f  (target >= 0.5: %s)\n", r / a, (r / a >= 0.5 ? "met" : "NOT met");
    printf "   CPU ratio assign/route = %.2f\n", ca / cr;
}'
# for test/bench/run-all (lib/result.sh)
bench_result "routing: woes.route to a team" "woes.assign to an operator" \
    "$(bench_ratio "${TPS_SUM[route]}" "${TPS_SUM[assign]}")" ">=0.50"

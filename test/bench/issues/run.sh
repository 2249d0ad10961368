#!/usr/bin/env bash
# Issue-impact benchmark of woes (issue 13, "Performance").  One command:
#
#   test/bench/issues/run.sh
#
# It makes its own throwaway PostgreSQL cluster (test/throwaway; dropped on
# exit), creates the installed extension, loads a workspace with
# CONVERSATIONS conversations of CONTACTS customers linked to ISSUES tracker
# issues (skewed: a few issues carry most links) and a smaller workspace
# beside it, and runs pgbench pairs in the same run: the 20 most linked
# issues through woes.issue_impact as a LOGIN member of woes_service under
# row-level security (operator context), against the same aggregate by the
# owner with the workspace filter written out (no row-level security).
# Prints TPS, server CPU per transaction and the ratio view/owner (target
# >= 0.9), and the plan of each.
#
# Settings (environment):
#   DURATION=8   CLIENTS=2   ROUNDS=2 (the order alternated)
#   CONVERSATIONS=100000  CONTACTS=20000  ISSUES=5000
#
# Needs postgresql-$major with pgbench, pg_virtualenv, root, and woes installed
# for that major (make install).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/../lib/result.sh"

if [ -z "${WOES_II_INNER:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major
    bin=/usr/lib/postgresql/$major/bin
    [ -x "$bin/pgbench" ] || { echo "run.sh: $bin/pgbench is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    [ -f "$("$bin/pg_config" --sharedir)/extension/woes.control" ] || {
        echo "run.sh: woes is not installed for PostgreSQL $major; run make install first" >&2; exit 1; }
    export WOES_II_INNER=1
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" \
        "$HERE/$(basename "$0")" "$@"
fi

# ---- inside the throwaway cluster ------------------------------------------
export PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
DURATION=${DURATION:-8}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-2}
CONVERSATIONS=${CONVERSATIONS:-100000}
CONTACTS=${CONTACTS:-20000}
ISSUES=${ISSUES:-5000}
psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

echo "== woes issue-impact benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   $(psql_ -Atc 'select version()')  cores=$(nproc)" \
     "woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
if git -C "$HERE" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "   source tree: $(git -C "$HERE" rev-parse --short HEAD)"
fi
echo "== setup: $CONVERSATIONS conversations, $CONTACTS customers, $ISSUES issues"
t0=$(date +%s)
psql_ -c "CREATE EXTENSION woes"
psql_ -v conversations="$CONVERSATIONS" -v contacts="$CONTACTS" -v issues="$ISSUES" -f "$HERE/setup.sql" >/dev/null
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-issues'")
echo "   loaded in $(( $(date +%s) - t0 )) s: $(psql_ -Atc "select count(*) || ' links, the most linked issue has ' ||
       (select max(n) from (select count(*) n from woes.conversation_issues where workspace_id = '$WS' group by issue_id) x)
       from woes.conversation_issues where workspace_id = '$WS'")"
APP_PASSWORD=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
psql_ -c "CREATE ROLE bench_app LOGIN PASSWORD '$APP_PASSWORD' IN ROLE woes_service"

PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }
declare -A TPS_SUM CPU_SUM
run_pgbench() {	# script [user password]: the owner without them
    local script=$1 out c0 c1 tps txns cpu
    c0=$(children_cpu)
    if ! out=$(PGUSER=${2:-$PGUSER} PGPASSWORD=${3:-${PGPASSWORD:-}} \
               pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -M prepared \
                       -f "$HERE/$script.pgbench" -D ws="$WS" 2>&1); then
        echo "$out" >&2; echo "run.sh: pgbench $script failed" >&2; exit 1
    fi
    sleep 1
    c1=$(children_cpu)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n="$txns" 'BEGIN { printf "%.0f", d / t * 1e6 / n }')
    printf '   %-7s tps %8.1f   server CPU %6d us/txn   (%d txns)\n' "$script" "$tps" "$cpu" "$txns"
    TPS_SUM[$script]=$(awk -v a="${TPS_SUM[$script]:-0}" -v b="$tps" 'BEGIN { print a + b }')
    CPU_SUM[$script]=$(awk -v a="${CPU_SUM[$script]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
}

# the two give the same rows
same=$(psql_ -Atc "SELECT (SELECT string_agg(issue_id::text || conversations_total || customers, ',' ORDER BY conversations_total DESC, issue_id)
                            FROM (SELECT * FROM woes.issue_impact WHERE workspace_id = '$WS'
                                   ORDER BY conversations_total DESC, issue_id LIMIT 20) v)
                  = (SELECT string_agg(i.id::text || count || d, ',' ORDER BY count DESC, i.id)
                       FROM (SELECT i.id, count(l.conversation_id), count(DISTINCT c.contact_id) d
                               FROM woes.issues i
                               LEFT JOIN woes.conversation_issues l ON l.workspace_id = i.workspace_id AND l.issue_id = i.id
                               LEFT JOIN woes.conversations c ON c.workspace_id = l.workspace_id AND c.id = l.conversation_id
                              WHERE i.workspace_id = '$WS' GROUP BY i.id ORDER BY 2 DESC, 1 LIMIT 20) i)" 2>&1 || true)
echo "   the view and the owner's query agree on the top 20: $same"

echo "== pgbench: -n -c $CLIENTS -j $CLIENTS -T $DURATION -M prepared, $ROUNDS round(s)"
for r in $(seq 1 "$ROUNDS"); do
    echo "-- round $r"
    if [ $((r % 2)) = 1 ]; then
        run_pgbench owner; run_pgbench impact bench_app "$APP_PASSWORD"
    else
        run_pgbench impact bench_app "$APP_PASSWORD"; run_pgbench owner
    fi
done
echo "== result (mean over $ROUNDS round(s))"
awk -v o="${TPS_SUM[owner]}" -v v="${TPS_SUM[impact]}" -v co="${CPU_SUM[owner]}" -v cv="${CPU_SUM[impact]}" -v n="$ROUNDS" 'BEGIN {
    printf "   owner, explicit filters   %8.1f tps   %6.0f us server CPU/txn\n", o / n, co / n;
    printf "   woes.issue_impact (RLS)   %8.1f tps   %6.0f us server CPU/txn\n", v / n, cv / n;
    printf "   RATIO impact/owner = %.2f  (target >= 0.9: %s)\n", v / o, (v / o >= 0.9 ? "met" : "NOT met");
    printf "   CPU ratio owner/impact = %.2f\n", co / cv;
}'
# for test/bench/run-all (lib/result.sh)
bench_result "issue impact: woes.issue_impact, top 20 (RLS)" "owner's aggregate, explicit filters" \
    "$(bench_ratio "${TPS_SUM[impact]}" "${TPS_SUM[owner]}")" ">=0.90"
echo "== plans"
echo "-- woes.issue_impact as bench_app (operator context)"
PGUSER=bench_app PGPASSWORD=$APP_PASSWORD psql_ -At <<SQL | sed 's/^/   /'
BEGIN;
SELECT woes.set_context('$WS', 'operator') \\g /dev/null
EXPLAIN (COSTS OFF) SELECT * FROM woes.issue_impact WHERE workspace_id = '$WS'
 ORDER BY conversations_total DESC, issue_id LIMIT 20;
COMMIT;
SQL

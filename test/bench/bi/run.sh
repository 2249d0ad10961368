#!/usr/bin/env bash
# BI benchmark of woes: woes_bi.routing_stats ("Performance" of the BI
# schema).  One command:
#
#   test/bench/bi/run.sh
#
# It makes its own throwaway PostgreSQL cluster (test/throwaway; dropped on
# exit), creates the installed extension, loads a workspace with
# CONVERSATIONS conversations over the last DAYS days and their histories
# (assignments, status changes, handoffs, reply times; setup.sql, in bulk)
# and a smaller workspace beside it, and runs pgbench pairs in the same
# run: the last 30 days of woes_bi.routing_stats as a LOGIN role of
# woes_analyst bound to the workspace (woes.bind_role; row-level security
# applies), against the same aggregate by the owner with the workspace and
# day filters written out (no row-level security).  Prints TPS, ms per
# query, server CPU per transaction and the ratio view/owner (target
# >= 0.9), the plan of each (EXPLAIN ANALYZE), and checks first that both
# return the same rows.  Before the pgbench rounds, SINGLES executions of
# each, alternating, one at a time: their minimum is the figure that other
# work on a shared machine disturbs least.
#
# Settings (environment):
#   DURATION=8   CLIENTS=2   ROUNDS=2 (the order alternated)
#   MIN_TXNS=10  (DURATION is raised so that each client runs at least this
#                 many transactions per round)
#   SINGLES=5    (single executions of each, alternating, before the rounds)
#   CONVERSATIONS=1000000  OTHER=50000 (the second workspace)  DAYS=180
#   OPERATORS=50
#   WOES_BENCH_DIR=/var/tmp (where the cluster's directory goes)
#
# Needs postgresql-$major with pgbench and pg_prewarm, pg_virtualenv, root,
# and woes installed for that major (make install).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/../lib/result.sh"

if [ -z "${WOES_BI_INNER:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major
    bin=/usr/lib/postgresql/$major/bin
    [ -x "$bin/pgbench" ] || { echo "run.sh: $bin/pgbench is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    [ -f "$("$bin/pg_config" --sharedir)/extension/woes.control" ] || {
        echo "run.sh: woes is not installed for PostgreSQL $major; run make install first" >&2; exit 1; }
    [ -f "$("$bin/pg_config" --pkglibdir)/pg_prewarm.so" ] || {
        echo "run.sh: pg_prewarm is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    # The data set and its WAL take a few GB: on disk, not in the private
    # tmpfs test/throwaway mounts on /tmp (as test/bench/run.sh does).
    if [ "$(id -u)" = 0 ] && unshare --net --pid --fork --mount true 2>/dev/null; then
        export TMPDIR=${WOES_BENCH_DIR:-/var/tmp}
        mkdir -p "$TMPDIR"
    fi
    export WOES_BI_INNER=1
    # shared_buffers holds the whole set (about 2.3 GB), so the runs measure
    # CPU, not reads
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" \
        -o "shared_buffers=3GB" -o "max_wal_size=8GB" -o "checkpoint_timeout=30min" \
        -o "autovacuum=off" \
        "$HERE/$(basename "$0")" "$@"
fi

# ---- inside the throwaway cluster ------------------------------------------
export PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
DURATION=${DURATION:-8}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-2}
MIN_TXNS=${MIN_TXNS:-10}
SINGLES=${SINGLES:-5}
CONVERSATIONS=${CONVERSATIONS:-1000000}
OTHER=${OTHER:-50000}
DAYS=${DAYS:-180}
OPERATORS=${OPERATORS:-50}
psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }
# the statement of a pgbench script, between its "-- rows {" and "-- } rows"
# lines: the query whose rows the script aggregates
rows_of() { sed -n '/^-- rows {/,/^-- } rows/p' "$HERE/$1.pgbench"; }

echo "== woes BI benchmark (woes_bi.routing_stats), $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   $(psql_ -Atc 'select version()' | cut -d, -f1)  cores=$(nproc)" \
     "woes $(psql_ -Atc "select default_version from pg_available_extensions where name = 'woes'")" \
     "woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
if git -C "$HERE" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "   source tree: $(git -C "$HERE" rev-parse --short HEAD) (the benchmark's scripts; the extension is the installed one)"
fi
echo "   settings: jit=off max_parallel_workers_per_gather=0 shared_buffers=$(psql_ -Atc 'show shared_buffers')" \
     "work_mem=$(psql_ -Atc 'show work_mem'); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== setup: $CONVERSATIONS conversations over $DAYS days (+ $OTHER in another workspace), $OPERATORS operators"
t0=$(date +%s)
psql_ -c "CREATE EXTENSION woes" -c "CREATE EXTENSION pg_prewarm"
psql_ -v conversations="$CONVERSATIONS" -v other="$OTHER" -v days="$DAYS" -v operators="$OPERATORS" \
      -f "$HERE/setup.sql" >/dev/null
t1=$(date +%s)
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-bi'")
echo "   loaded in $((t1 - t0)) s (with VACUUM ANALYZE); rows of the workspace (of both):"
psql_ -At <<SQL | sed 's/^/     /'
SELECT format('%-15s %9s  (%s)', t, n, total)
  FROM (SELECT 'conversations' t, count(*) FILTER (WHERE workspace_id = '$WS') n, count(*) total, 1 o FROM woes.conversations
        UNION ALL SELECT 'assignments', count(*) FILTER (WHERE workspace_id = '$WS'), count(*), 2 FROM woes.assignments
        UNION ALL SELECT 'status_events', count(*) FILTER (WHERE workspace_id = '$WS'), count(*), 3 FROM woes.status_events
        UNION ALL SELECT 'handoff_events', count(*) FILTER (WHERE workspace_id = '$WS'), count(*), 4 FROM woes.handoff_events
        UNION ALL SELECT 'reply_times', count(*) FILTER (WHERE workspace_id = '$WS'), count(*), 5 FROM woes.reply_times) x
 ORDER BY o;
SQL

# the analyst: a LOGIN member of woes_analyst bound to the workspace (the
# binding gives each of its sessions the context; it cannot set one)
BI_PASSWORD=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
psql_ -c "CREATE ROLE bench_bi LOGIN PASSWORD '$BI_PASSWORD' IN ROLE woes_analyst" \
      -c "SELECT woes.bind_role('bench_bi', '$WS', 'analyst')" >/dev/null
as_bi() { PGUSER=bench_bi PGPASSWORD=$BI_PASSWORD "$@"; }
echo "   bench_bi (woes_analyst, bound): sees $(as_bi psql_ -Atc "select string_agg(slug, ',') from woes_bi.workspace")," \
     "USAGE on schema woes: $(as_bi psql_ -Atc "select has_schema_privilege('woes', 'USAGE')")"

# everything in shared_buffers: the runs measure CPU, not the first reads
psql_ -Atc "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
             WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'i')" >/dev/null

# the two return the same rows (all columns, every row)
check_sql() {	# script: count and md5 of its rows, in stat_id order
    printf 'SELECT count(*) || %s || md5(string_agg(r::text, E%s ORDER BY r.stat_id)) FROM (\n%s\n) r;\n' \
           "' rows, md5 '" "'\\n'" "$(rows_of "$1")"
}
v=$(as_bi psql_ -At -f <(check_sql view))
o=$(psql_ -At -v ws="'$WS'" -f <(check_sql owner))
if [ "$v" = "$o" ]; then
    echo "   the view (as bench_bi) and the owner's query return the same rows: $v"
else
    echo "   the view and the owner's query DIFFER: view $v, owner $o" >&2
    exit 1
fi

PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }
# The owner's script has a parameter (:ws); custom plans for every
# execution, so that it is planned for the workspace as the view is (the
# view's workspace test is woes.current_workspace(), folded for the
# estimates).  No effect on the view, which has none.
export PGOPTIONS="${PGOPTIONS:-} -c plan_cache_mode=force_custom_plan"
pgb() {	# script user password pgbench-options...
    local script=$1 user=$2 password=$3; shift 3
    PGUSER=$user PGPASSWORD=$password pgbench -n -M prepared -f "$HERE/$script.pgbench" -D ws="$WS" "$@" 2>&1
}
declare -A TPS_SUM CPU_SUM LAT_SUM LAST_TPS
ROUND_RATIOS=""
run_pgbench() {	# script user password
    local script=$1 out c0 c1 tps lat txns cpu
    c0=$(children_cpu)
    if ! out=$(pgb "$script" "$2" "$3" -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION"); then
        echo "$out" >&2; echo "run.sh: pgbench $script failed" >&2; exit 1
    fi
    sleep 1
    c1=$(children_cpu)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p')
    txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n="$txns" 'BEGIN { printf "%.0f", d / t * 1000 / n }')
    printf '   %-6s tps %7.3f   %7.1f ms/query   server CPU %6d ms/txn   (%d txns)\n' "$script" "$tps" "$lat" "$cpu" "$txns"
    LAST_TPS[$script]=$tps
    TPS_SUM[$script]=$(awk -v a="${TPS_SUM[$script]:-0}" -v b="$tps" 'BEGIN { print a + b }')
    CPU_SUM[$script]=$(awk -v a="${CPU_SUM[$script]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
    LAT_SUM[$script]=$(awk -v a="${LAT_SUM[$script]:-0}" -v b="$lat" 'BEGIN { print a + b }')
}

# One query at a time, the two alternating (SINGLES of each, psql, one
# client): the minimum is the figure least disturbed by other work on the
# machine.  The slower median also sets how long a round must be: at least
# MIN_TXNS transactions per client.
single() {	# script user password: the ms of one execution (in a new
    # session, after an EXPLAIN that warms its caches)
    { echo 'EXPLAIN (COSTS OFF)'; cat "$HERE/$1.pgbench"; echo '\timing on'; cat "$HERE/$1.pgbench"; } |
        PGUSER=$2 PGPASSWORD=$3 psql_ -At -v ws="'$WS'" -f - | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
}
stats() { tr ' ' '\n' | grep . | sort -n | awk '{ a[NR] = $1 } END { printf "%.1f %.1f", a[1], a[int((NR + 1) / 2)] }'; }
sv=""; so=""
for i in $(seq 1 "$SINGLES"); do
    if [ $((i % 2)) = 1 ]; then
        so="$so $(single owner "$PGUSER" "${PGPASSWORD:-}")"; sv="$sv $(single view bench_bi "$BI_PASSWORD")"
    else
        sv="$sv $(single view bench_bi "$BI_PASSWORD")"; so="$so $(single owner "$PGUSER" "${PGPASSWORD:-}")"
    fi
done
read -r sv_min sv_med <<<"$(echo "$sv" | stats)"
read -r so_min so_med <<<"$(echo "$so" | stats)"
echo "== one query at a time ($SINGLES of each, alternating, 1 client), ms:"
echo "   view :$sv"
echo "   owner:$so"
awk -v vm="$sv_min" -v vd="$sv_med" -v om="$so_min" -v od="$so_med" 'BEGIN {
    printf "   min: view %.0f, owner %.0f: owner/view %.2f; median: view %.0f, owner %.0f: owner/view %.2f\n",
           vm, om, om / vm, vd, od, od / vd }'
need=$(awk -v a="$sv_med" -v b="$so_med" -v n="$MIN_TXNS" 'BEGIN { m = (a > b ? a : b); printf "%d", m * n / 1000 + 0.999 }')
if [ "$need" -gt "$DURATION" ]; then
    echo "   DURATION raised from $DURATION s to $need s (-T), so that each client runs >= $MIN_TXNS transactions per round"
    DURATION=$need
fi

echo "== pgbench: -n -M prepared -c $CLIENTS -j $CLIENTS -T $DURATION, $ROUNDS round(s), plan_cache_mode=force_custom_plan"
for r in $(seq 1 "$ROUNDS"); do
    echo "-- round $r"
    if [ $((r % 2)) = 1 ]; then
        run_pgbench owner "$PGUSER" "${PGPASSWORD:-}"; run_pgbench view bench_bi "$BI_PASSWORD"
    else
        run_pgbench view bench_bi "$BI_PASSWORD"; run_pgbench owner "$PGUSER" "${PGPASSWORD:-}"
    fi
    rr=$(awk -v v="${LAST_TPS[view]}" -v o="${LAST_TPS[owner]}" 'BEGIN { printf "%.2f", v / o }')
    echo "   round $r: view/owner $rr"
    ROUND_RATIOS="$ROUND_RATIOS $rr"
done
echo "== result (mean over $ROUNDS round(s), $CLIENTS clients)"
awk -v o="${TPS_SUM[owner]}" -v v="${TPS_SUM[view]}" -v co="${CPU_SUM[owner]}" -v cv="${CPU_SUM[view]}" \
    -v lo="${LAT_SUM[owner]}" -v lv="${LAT_SUM[view]}" -v n="$ROUNDS" 'BEGIN {
    printf "   owner, explicit filters       %7.3f tps   %7.1f ms/query   %6.0f ms server CPU/txn\n", o / n, lo / n, co / n;
    printf "   woes_bi.routing_stats (RLS)   %7.3f tps   %7.1f ms/query   %6.0f ms server CPU/txn\n", v / n, lv / n, cv / n;
    printf "   RATIO view/owner = %.2f  (target >= 0.9: %s)\n", v / o, (v / o >= 0.9 ? "met" : "NOT met");
    printf "   CPU ratio owner/view = %.2f\n", co / cv;
}'
echo "   median of the rounds' ratios view/owner: $(echo "$ROUND_RATIOS" | tr ' ' '\n' | grep . | sort -n |
      awk '{ a[NR] = $1 } END { printf "%.2f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }')" \
     "(rounds:$ROUND_RATIOS)"
# for test/bench/run-all (lib/result.sh): the RATIO line's figure
bench_result "BI: woes_bi.routing_stats, 30 days (analyst, RLS)" "owner's query, explicit filters" \
    "$(bench_ratio "${TPS_SUM[view]}" "${TPS_SUM[owner]}")" ">=0.90"

echo "== plans (EXPLAIN (ANALYZE, BUFFERS, COSTS OFF))"
explain_sql() { printf 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)\n%s\n;\n' "$(rows_of "$1")"; }
echo "-- woes_bi.routing_stats as bench_bi"
as_bi psql_ -At -f <(explain_sql view) | sed 's/^/   /'
echo "-- the owner's query"
psql_ -At -v ws="'$WS'" -f <(explain_sql owner) | sed 's/^/   /'

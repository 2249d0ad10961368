#!/usr/bin/env bash
# Lifecycle benchmark of woes (issue 3, "Performance").  One command:
#
#   test/bench/lifecycle/run.sh
#
# It makes its own throwaway PostgreSQL cluster (test/throwaway: pg_virtualenv
# -t in private namespaces; dropped on exit) of the major test/pg-major
# names (WOES_PG when set), creates the installed extension, loads one
# workspace with CONVERSATIONS conversations plus an equal plain table, and
#
#   1. runs pgbench pairs: open -> pending -> open round trips through
#      woes.transition (and through woes.set_pending / woes.reopen) against
#      the same two status writes as raw UPDATEs on the plain table, same
#      run, and prints the TPS and the ratio (target >= 0.5);
#   2. checks that status comparisons and can_transition do no catalog
#      lookups and no allocation (gdb breakpoint counters; see README.md).
#
# Settings (environment):
#   DURATION=20        seconds per pgbench run (-T)
#   CLIENTS=2          pgbench clients (-c, -j)
#   ROUNDS=2           rounds of (baseline, transition, shorthand), the order
#                      rotated each round so drift hits every script alike
#   CONVERSATIONS=20000
#   BENCH_ROLE=app     app: pgbench connects as a LOGIN member of woes_service
#                      (row-level security applies, as for an application);
#                      superuser: as postgres (RLS bypassed)
#   SKIP_PGBENCH=1 / SKIP_CHECK=1   run only one half
#   STATUS_ROWS=2000000   rows of the comparison timing table
#   WOES_PG            the PostgreSQL major (default: test/pg-major)
#
# Needs: postgresql-$major (with pgbench), pg_virtualenv (postgresql-common),
# gdb for part 2, and root (gdb attaches to a backend); woes installed for
# that major (make install PG_CONFIG=/usr/lib/postgresql/$major/bin/pg_config).
# Everything is printed to stdout; the scratch files (in the cluster's
# private /tmp) are deleted at exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/../lib/result.sh"

if [ -z "${WOES_LC_INNER:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major   # test/throwaway asks test/pg-major again
    bin=/usr/lib/postgresql/$major/bin
    for tool in pg_config psql pgbench; do
        [ -x "$bin/$tool" ] || { echo "run.sh: $bin/$tool is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    done
    command -v pg_virtualenv >/dev/null || { echo "run.sh: pg_virtualenv is missing (apt-get install postgresql-common)" >&2; exit 1; }
    if [ ! -f "$("$bin/pg_config" --sharedir)/extension/woes.control" ]; then
        echo "run.sh: woes is not installed for PostgreSQL $major; run make install PG_CONFIG=$bin/pg_config first" >&2
        exit 1
    fi
    export WOES_LC_INNER=1
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" \
        "$HERE/$(basename "$0")" "$@"
fi

# ---- inside the throwaway cluster ------------------------------------------
# the cluster's major's psql, pgbench and pg_config first (gdbcount.sh too)
export PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
DURATION=${DURATION:-20}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-2}
CONVERSATIONS=${CONVERSATIONS:-20000}
BENCH_ROLE=${BENCH_ROLE:-app}
export WOES_LC_DIR=$HERE
export WOES_LC_OUT=$(mktemp -d -t woes_lc.XXXXXX)
trap 'rm -rf "$WOES_LC_OUT"' EXIT

psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

echo "== woes lifecycle benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   $(psql_ -Atc 'select version()')"
echo "   fsync=$(psql_ -Atc 'show fsync') synchronous_commit=$(psql_ -Atc 'show synchronous_commit')" \
     "shared_buffers=$(psql_ -Atc 'show shared_buffers')  cores=$(nproc)" \
     "woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
if git -C "$HERE" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "   source tree: $(git -C "$HERE" rev-parse --short HEAD)$(git -C "$HERE" diff --quiet HEAD -- :/src 2>/dev/null || echo ' (src modified)')"
fi

echo "== setup: 1 workspace, $CONVERSATIONS conversations (through the triggers), bench.conv copy"
t0=$(date +%s)
psql_ -v conversations="$CONVERSATIONS" -f "$HERE/setup.sql"
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-lifecycle'")
echo "   loaded in $(( $(date +%s) - t0 )) s; workspace $WS"

if [ "$BENCH_ROLE" = app ]; then
    APP_PASSWORD=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
    psql_ <<SQL
CREATE ROLE bench_app LOGIN PASSWORD '$APP_PASSWORD' IN ROLE woes_service;
GRANT USAGE ON SCHEMA bench TO bench_app;
GRANT SELECT, UPDATE ON bench.conv TO bench_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO bench_app;
SQL
    PGB_USER=bench_app PGB_PASSWORD=$APP_PASSWORD
else
    PGB_USER=$PGUSER PGB_PASSWORD=$PGPASSWORD
fi

# CPU time of the server processes that ran a pgbench run: backends are
# children of the postmaster, and their user+system time is added to its
# cutime/cstime when they exit.  Unlike TPS it hardly depends on what else
# the machine is doing.
PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }

declare -A TPS_SUM CPU_SUM LAST_TPS
run_pgbench() {	# script label
    local script=$1 out c0 c1 tps lat txns cpu
    psql_ -c "VACUUM ANALYZE woes.conversations, woes.status_events, woes.events, bench.conv" -c "CHECKPOINT"
    c0=$(children_cpu)
    if ! out=$(PGUSER=$PGB_USER PGPASSWORD=$PGB_PASSWORD \
               pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -M prepared \
                       -f "$HERE/$script.pgbench" -D ws="$WS" -D clients="$CLIENTS" \
                       -D per_client=$(( CONVERSATIONS / CLIENTS )) 2>&1); then
        echo "$out" >&2
        echo "run.sh: pgbench $script failed" >&2
        exit 1
    fi
    # the backends exit when pgbench disconnects; give the postmaster a
    # moment to reap them (their CPU time is counted then)
    sleep 2
    c1=$(children_cpu)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n="$txns" 'BEGIN { printf "%.0f", d / t * 1e6 / n }')
    printf '   %-16s tps %8.1f   latency %6.3f ms   server CPU %5d us/txn   (%d txns)\n' \
           "$script" "$tps" "$lat" "$cpu" "$txns"
    TPS_SUM[$script]=$(awk -v a="${TPS_SUM[$script]:-0}" -v b="$tps" 'BEGIN { print a + b }')
    CPU_SUM[$script]=$(awk -v a="${CPU_SUM[$script]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
    LAST_TPS[$script]=$tps
}

if [ -z "${SKIP_PGBENCH:-}" ]; then
    echo "== pgbench: -n -c $CLIENTS -j $CLIENTS -T $DURATION -M prepared, as $PGB_USER, $ROUNDS round(s)"
    echo "   one transaction = one round trip on one conversation: open -> pending -> open"
    echo "   (two status writes); client k only touches conversations n = k+1 (mod $CLIENTS)"
    scripts=(baseline woes_transition woes_shorthand)
    for r in $(seq 1 "$ROUNDS"); do
        echo "-- round $r"
        k=$(( (r - 1) % ${#scripts[@]} ))
        for i in 0 1 2; do
            run_pgbench "${scripts[$(( (k + i) % 3 ))]}"
        done
        awk -v b="${LAST_TPS[baseline]}" -v t="${LAST_TPS[woes_transition]}" -v s="${LAST_TPS[woes_shorthand]}" \
            'BEGIN { printf "   round ratio: transition/baseline %.2f, shorthand/baseline %.2f\n", t / b, s / b }'
    done
    psql_ -Atc "SELECT '   history: ' || count(*) || ' status_events rows, ' || (SELECT count(*) FROM woes.events) || ' outbox events'
                  FROM woes.status_events" 
    mismatch=$(psql_ -Atc "SET search_path = public, woes" -c "SELECT count(*) FROM woes.conversations c
                            WHERE c.status IS DISTINCT FROM (SELECT e.to_status FROM woes.status_events e
                                   WHERE e.workspace_id = c.workspace_id AND e.conversation_id = c.id
                                   ORDER BY e.id DESC LIMIT 1)")
    echo "   conversations whose status differs from their last event: $mismatch"
    echo "== result (mean over $ROUNDS round(s))"
    awk -v b="${TPS_SUM[baseline]}" -v t="${TPS_SUM[woes_transition]}" -v s="${TPS_SUM[woes_shorthand]}" \
        -v cb="${CPU_SUM[baseline]}" -v ct="${CPU_SUM[woes_transition]}" -v cs="${CPU_SUM[woes_shorthand]}" \
        -v n="$ROUNDS" 'BEGIN {
            printf "   baseline (raw UPDATE, bench.conv)  %8.1f tps   %5.0f us server CPU/txn\n", b / n, cb / n;
            printf "   woes.transition                    %8.1f tps   %5.0f us server CPU/txn\n", t / n, ct / n;
            printf "   woes.set_pending + woes.reopen     %8.1f tps   %5.0f us server CPU/txn\n", s / n, cs / n;
            printf "   RATIO transition/baseline = %.2f  (target >= 0.5: %s)\n", t / b, (t / b >= 0.5 ? "met" : "NOT met");
            printf "   ratio shorthand/baseline  = %.2f\n", s / b;
            printf "   CPU ratio baseline/transition = %.2f (the same comparison by server CPU per transaction)\n", cb / ct;
        }'
    # for test/bench/run-all (lib/result.sh), with the goal of the
    # performance issue (>= 0.70; the line above names the first target)
    bench_result "status change: woes.transition" "raw UPDATE of an equal table" \
        "$(bench_ratio "${TPS_SUM[woes_transition]}" "${TPS_SUM[baseline]}")" ">=0.70"
    bench_result "status change: woes.set_pending + woes.reopen" "raw UPDATE of an equal table" \
        "$(bench_ratio "${TPS_SUM[woes_shorthand]}" "${TPS_SUM[baseline]}")" ">=0.70"
fi

if [ -z "${SKIP_CHECK:-}" ]; then
    echo "== status comparisons and can_transition: catalog lookups and allocations"
    if command -v gdb >/dev/null; then
        psql_ -v rows="${STATUS_ROWS:-2000000}" -f "$HERE/status_ops.sql"
    else
        echo "   skipped: the check counts calls with gdb, which is not installed (apt-get install gdb)"
    fi
fi

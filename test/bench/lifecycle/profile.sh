#!/usr/bin/env bash
# Where the time of a woes status change goes (the diagnosis behind
# README.md).  One command, its own throwaway cluster like run.sh:
#
#   test/bench/lifecycle/profile.sh
#
# One pgbench client runs N transactions of each variant below, each an
# open -> pending -> open round trip on one conversation (two status
# writes), and the server CPU time per transaction is read from the
# postmaster's reaped-children counters (robust against other load on the
# machine, unlike TPS).  Each variant adds or removes one layer, so the
# differences price the layers.  Then pg_stat_statements (track = all) shows
# the statements that run inside woes.transition and its triggers.
#
#   N=5000 ROUNDS=3 CONVERSATIONS=20000   (autovacuum is off: its workers'
#   CPU would be counted too; the tables are vacuumed before each run)
#   WOES_PG: the PostgreSQL major (default: test/pg-major)
# Everything is printed to stdout; the scratch files (in the cluster's
# private /tmp) are deleted at exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)

if [ -z "${WOES_LC_INNER:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major   # test/throwaway asks test/pg-major again
    bin=/usr/lib/postgresql/$major/bin
    for tool in pg_config psql pgbench; do
        [ -x "$bin/$tool" ] || { echo "profile.sh: $bin/$tool is missing (apt-get install postgresql-$major)" >&2; exit 1; }
    done
    command -v pg_virtualenv >/dev/null || { echo "profile.sh: pg_virtualenv is missing (apt-get install postgresql-common)" >&2; exit 1; }
    if [ ! -f "$("$bin/pg_config" --sharedir)/extension/woes.control" ]; then
        echo "profile.sh: woes is not installed for PostgreSQL $major; run make install PG_CONFIG=$bin/pg_config first" >&2
        exit 1
    fi
    if [ ! -f "$("$bin/pg_config" --pkglibdir)/pg_stat_statements.so" ]; then
        echo "profile.sh: pg_stat_statements is missing (apt-get install postgresql-$major)" >&2
        exit 1
    fi
    export WOES_LC_INNER=1
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" -o "autovacuum=off" \
        -o "shared_preload_libraries=pg_stat_statements" -o "pg_stat_statements.track=all" \
        -o "pg_stat_statements.track_planning=on" "$HERE/$(basename "$0")" "$@"
fi

# the cluster's major's psql, pgbench and pg_config first
PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
N=${N:-5000}
ROUNDS=${ROUNDS:-3}
CONVERSATIONS=${CONVERSATIONS:-20000}
DIR=$(mktemp -d -t woes_lcp.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

echo "== woes lifecycle profile, $(date -u '+%Y-%m-%d %H:%M UTC'), woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
psql_ -v conversations="$CONVERSATIONS" -f "$HERE/setup.sql" >/dev/null
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-lifecycle'")
PW=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
psql_ <<SQL
CREATE EXTENSION pg_stat_statements;
CREATE ROLE bench_app LOGIN PASSWORD '$PW' IN ROLE woes_service;
GRANT USAGE ON SCHEMA bench TO bench_app;
GRANT SELECT, UPDATE ON bench.conv TO bench_app;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA bench TO bench_app;
SQL

head='\set r random(0, :per_client - 1)
\set n :r + 1
BEGIN;'
ctx="SELECT woes.set_context(:ws, 'operator');"
raw_plain="UPDATE bench.conv SET status = 'pending' WHERE workspace_id = :ws AND id = bench.conv_id(:n);
UPDATE bench.conv SET status = 'open' WHERE workspace_id = :ws AND id = bench.conv_id(:n);"
raw_woes="UPDATE woes.conversations SET status = 'pending' WHERE workspace_id = :ws AND id = bench.conv_id(:n);
UPDATE woes.conversations SET status = 'open' WHERE workspace_id = :ws AND id = bench.conv_id(:n);"
api="SELECT woes.transition(bench.conv_id(:n), 'pending');
SELECT woes.transition(bench.conv_id(:n), 'open');"
printf '%s\n%s\nCOMMIT;\n' "$head" "$raw_plain" >"$DIR/baseline.pgbench"
printf '%s\n%s\n%s\nCOMMIT;\n' "$head" "$ctx" "$raw_plain" >"$DIR/ctx_plain.pgbench"
printf '%s\n%s\n%s\nCOMMIT;\n' "$head" "$ctx" "$raw_woes" >"$DIR/ctx_woes.pgbench"
printf '%s\n%s\n%s\nCOMMIT;\n' "$head" "$ctx" "$api" >"$DIR/transition.pgbench"
printf '%s\n%s\nCOMMIT;\n' "$head" "$ctx" >"$DIR/ctx_only.pgbench"
printf 'BEGIN;\nSELECT 1;\nCOMMIT;\n' >"$DIR/empty.pgbench"

PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }
declare -A CPU
measure() {	# label script user password
    local label=$1 script=$2 user=$3 pw=$4 c0 c1 out
    psql_ -c "VACUUM woes.conversations, bench.conv"
    sleep 1	# let the postmaster reap that backend before the counter is read
    c0=$(children_cpu)
    out=$(PGUSER=$user PGPASSWORD=$pw pgbench -n -c 1 -j 1 -t "$N" -M prepared -f "$DIR/$script.pgbench" \
              -D ws="$WS" -D per_client="$CONVERSATIONS" 2>&1) || { echo "$out" >&2; exit 1; }
    sleep 1.5
    c1=$(children_cpu)
    CPU[$label]=$(awk -v a="${CPU[$label]:-}" -v d=$((c1 - c0)) -v t="$TCK" -v n="$N" \
                  'BEGIN { v = d / t * 1e6 / n; printf "%s%.0f", (a == "" ? "" : a " "), v }')
}
median() { tr ' ' '\n' | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# the variants; S = superuser (postgres: row-level security bypassed)
for r in $(seq 1 "$ROUNDS"); do
    measure "1 empty transaction (BEGIN; SELECT 1; COMMIT)" empty bench_app "$PW"
    measure "2 set_context alone" ctx_only bench_app "$PW"
    measure "3 baseline: 2 raw UPDATEs of bench.conv" baseline bench_app "$PW"
    measure "4 set_context + 2 raw UPDATEs of bench.conv" ctx_plain bench_app "$PW"
    measure "5 set_context + 2 raw UPDATEs of woes.conversations" ctx_woes bench_app "$PW"
    measure "6 set_context + 2 woes.transition calls" transition bench_app "$PW"
    psql_ -c "ALTER ROLE bench_app SET woes.notify = off"
    measure "7 = 5 with woes.notify = off" ctx_woes bench_app "$PW"
    psql_ -c "ALTER ROLE bench_app RESET woes.notify" -c "ALTER TABLE woes.conversations DISABLE TRIGGER lifecycle"
    measure "8 = 5 without the lifecycle trigger" ctx_woes bench_app "$PW"
    psql_ -c "ALTER TABLE woes.conversations DISABLE TRIGGER guard_update" \
          -c "ALTER TABLE woes.conversations DISABLE TRIGGER require_context"
    measure "9 = 8 without guard_update, require_context" ctx_woes bench_app "$PW"
    measure "10 = 9 as superuser (no RLS)" ctx_woes postgres "$PGPASSWORD"
    psql_ -c "ALTER TABLE woes.conversations ENABLE TRIGGER lifecycle" \
          -c "ALTER TABLE woes.conversations ENABLE TRIGGER guard_update" \
          -c "ALTER TABLE woes.conversations ENABLE TRIGGER require_context"
done

echo "== server CPU per transaction (median of $ROUNDS round(s) of $N transactions, 1 client)"
for label in "${!CPU[@]}"; do
    printf '%s\t%s\t%s\n' "${label%% *}" "$label" "$(echo "${CPU[$label]}" | median)"
done | sort -n | while IFS=$'\t' read -r _ label v; do
    printf '   %-58s %6s us\n' "$label" "$v"
done
m() { echo "${CPU[$1]}" | median; }
e=$(m "1 empty transaction (BEGIN; SELECT 1; COMMIT)")
b=$(m "3 baseline: 2 raw UPDATEs of bench.conv")
c=$(m "4 set_context + 2 raw UPDATEs of bench.conv")
w=$(m "5 set_context + 2 raw UPDATEs of woes.conversations")
t=$(m "6 set_context + 2 woes.transition calls")
nn=$(m "7 = 5 with woes.notify = off")
nl=$(m "8 = 5 without the lifecycle trigger")
ng=$(m "9 = 8 without guard_update, require_context")
su=$(m "10 = 9 as superuser (no RLS)")
echo "== what each layer costs per round trip (two status changes)"
printf '   %-58s %6d us\n' \
    "set_context (one more statement)            4 - 3" $((c - b)) \
    "plpgsql woes.transition around the UPDATE   6 - 5" $((t - w)) \
    "lifecycle trigger: history + outbox + NOTIFY 5 - 8" $((w - nl)) \
    "  of which NOTIFY                           5 - 7" $((w - nn)) \
    "guard_update + require_context triggers     8 - 9" $((nl - ng)) \
    "row-level security                          9 - 10" $((ng - su)) \
    "woes.conversations vs bench.conv (FKs)      10 - 4" $((su - c)) \
    "total over the baseline                     6 - 3" $((t - b))

echo "== inside: pg_stat_statements over one more run of variant 6 ($N transactions)"
echo "   (wall time of each statement, nested ones included in their caller; plans: times planned)"
psql_ -Atc "SELECT pg_stat_statements_reset()" >/dev/null
PGUSER=bench_app PGPASSWORD=$PW pgbench -n -c 1 -j 1 -t "$N" -M prepared -f "$DIR/transition.pgbench" \
    -D ws="$WS" -D per_client="$CONVERSATIONS" >/dev/null 2>&1
psql_ -P footer=off -c "
SELECT calls, plans, round(mean_exec_time::numeric * 1000) AS mean_us,
       round(total_exec_time::numeric / $N * 1000) AS us_per_txn,
       CASE WHEN toplevel THEN 'top' ELSE 'nested' END AS level,
       left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS statement
  FROM pg_stat_statements
 WHERE calls >= $N / 2
 ORDER BY total_exec_time DESC"

echo "== per trigger: EXPLAIN (ANALYZE) of single status UPDATEs (explain.sql)"
PGUSER=bench_app PGPASSWORD=$PW psql -X -q -v ON_ERROR_STOP=1 -v ws="$WS" -f "$HERE/explain.sql"

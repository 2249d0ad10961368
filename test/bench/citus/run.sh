#!/usr/bin/env bash
# Citus benchmark of woes (issue 11, "Performance on Citus").  One command:
#
#   test/bench/citus/run.sh            (about 4 minutes on 2 cores)
#   test/bench/citus/run.sh --quick    (about 1.5 minutes)
#
# In a throwaway Citus cluster (test/citus/cluster: a coordinator and two
# workers on this machine; Citus must be installed, test/citus/build), it
# measures with pgbench, as a LOGIN member of woes_service:
#
#   1. through the coordinator against a single node, in one run: the same
#      data and scripts in two databases of the coordinator's server,
#      woes_citus (distributed: woes.distribute()) and bench_single (woes
#      without Citus), in alternating rounds, TPS and the ratio
#      citus / single for
#        intake   woes.receive_message into an existing thread
#        status   woes.set_pending then woes.reopen of a conversation
#        read     a customer's last 50 messages (woes.customer_messages),
#                 naming the workspace (routed to its worker)
#        read_all the same read without naming it (asks every shard)
#      each under woes.set_context in the same transaction, the C calls
#      naming the workspace (Citus sends them straight to the worker);
#   2. throughput with many workspaces (WORKSPACES, a random one per
#      transaction, intake and status mixed) with every shard on one worker,
#      then after the shards are rebalanced over both: TPS and the ratio
#      two / one.
#
# On this machine the three nodes share 2 cores, so a second worker adds
# no CPU: part 2 shows the cost of spreading (more connections, 2PC across
# fewer shards per node), not the gain.  See README.md for what to expect on
# real hardware.
#
# Settings (environment): DURATION (seconds per pgbench run; 8, quick 3),
# ROUNDS (alternating rounds per pair; 3, quick 1), CLIENTS (4),
# WORKSPACES (20), MESSAGES (messages in each read conversation; 60).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$root/test/bench/lib/result.sh"
quick=false
[ "${1:-}" = "--quick" ] && quick=true
if [ -z "${WOES_BENCH_INSIDE:-}" ]; then
    export WOES_BENCH_INSIDE=1 WOES_BENCH_QUICK=$quick
    cd "$root"
    exec test/citus/cluster -o max_connections=200 "$root/test/bench/citus/run.sh" "$@"
fi

# inside the cluster: PG* name the coordinator's woes_citus database
quick=$WOES_BENCH_QUICK
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
if $quick; then DURATION=${DURATION:-3}; ROUNDS=${ROUNDS:-1}; else DURATION=${DURATION:-8}; ROUNDS=${ROUNDS:-3}; fi
CLIENTS=${CLIENTS:-4}
WORKSPACES=${WORKSPACES:-20}
MESSAGES=${MESSAGES:-60}
bindir=$("$PG_CONFIG" --bindir)
work=$(mktemp -d /tmp/woes-bench-citus.XXXXXX)
trap 'rm -rf "$work"' EXIT
q() { "$bindir/psql" -X -q -v ON_ERROR_STOP=1 "$@"; }
qa() { "$bindir/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "== $(qa -c "SELECT 'Citus ' || extversion FROM pg_extension WHERE extname = 'citus'") on PostgreSQL $(qa -c 'SHOW server_version'); $(nproc) cores"
echo "== setup: $WORKSPACES workspaces, each with an operator, intake threads and a conversation of $MESSAGES messages"
q -c "CREATE DATABASE bench_single"
# the extension makes the group roles; a role made here reaches the workers
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION woes" -c "CREATE ROLE bench LOGIN IN ROLE woes_service"
# every shard on the first worker for now (part 2 spreads them)
q -c "SELECT citus_set_node_property('127.0.0.1', 9702, 'shouldhaveshards', false)" >/dev/null
q -c "SELECT count(*) FROM woes.distribute()" >/dev/null
q -c "SELECT count(*) FROM woes.distribute()" >/dev/null
q -d bench_single -c "SET client_min_messages = warning" -c "CREATE EXTENSION woes"

# per workspace: a script of its own (psql variables carry the ids it makes)
for db in woes_citus bench_single; do
    t0=$(date +%s.%N)
    "$bindir/psql" -X -q -At -d "$db" -v workspaces="$WORKSPACES" -v messages="$MESSAGES" > "$work/setup-$db.sql" <<'SQL'
SET client_min_messages = warning;
CREATE TABLE bench_ws (n integer PRIMARY KEY, ws uuid, op uuid, contact uuid, conv uuid);
GRANT SELECT ON bench_ws TO bench;
INSERT INTO bench_ws (n, ws)
SELECT i, woes.create_workspace('bench-' || i, 'Bench ' || i) FROM generate_series(1, :workspaces) i;
SELECT format($f$
SET ROLE bench;
BEGIN;
SELECT woes.set_context(%L, 'operator');
SELECT woes.add_operator('Op', 'op@bench.test') AS op \gset
SELECT woes.receive_message('live_chat', 'read-thread', 'reader', 'first words', 'read-0', 'Reader') AS m \gset
SELECT count(woes.receive_message('live_chat', 'chat-' || t, 'visitor-' || t, 'hello', 'open-' || t)) FROM generate_series(1, 20) t \g /dev/null
SELECT count(woes.receive_message('live_chat', 'read-thread', 'reader', 'message ' || i, 'read-' || i)) FROM generate_series(1, %s) i \g /dev/null
COMMIT;
RESET ROLE;
CREATE TEMP TABLE seen AS SELECT m.author_id, m.conversation_id FROM woes.messages m WHERE m.workspace_id = %L AND m.id = :'m';
UPDATE bench_ws SET op = :'op', contact = (SELECT author_id FROM seen), conv = (SELECT conversation_id FROM seen) WHERE n = %s;
DROP TABLE seen;$f$, ws, :messages - 1, ws, n)
  FROM bench_ws ORDER BY n;
SQL
    q -d "$db" -f "$work/setup-$db.sql" > /dev/null
    printf '   %-13s %5.1f s\n' "$db" "$(echo "$(date +%s.%N) - $t0" | bc)"
done

# the scripts: a random workspace per transaction; its ids from bench_ws
cat > "$work/intake.pgbench" <<'EOF'
\set w random(1, :workspaces)
\set t random(1, 20)
\set seq :seq + 1
SELECT ws, op FROM bench_ws WHERE n = :w \gset
BEGIN;
SELECT woes.set_context(':ws', 'operator', ':op');
SELECT woes.receive_message('live_chat', 'chat-:t', 'visitor-:t', 'Where is my order?', ':tag-:client_id-:seq', workspace => ':ws');
COMMIT;
EOF
cat > "$work/status.pgbench" <<'EOF'
\set w random(1, :workspaces)
SELECT ws, op, conv FROM bench_ws WHERE n = :w \gset
BEGIN;
SELECT woes.set_context(':ws', 'operator', ':op');
SELECT woes.set_pending(':conv', 'bench', workspace => ':ws');
SELECT woes.reopen(':conv', 'bench', workspace => ':ws');
COMMIT;
EOF
cat > "$work/read.pgbench" <<'EOF'
\set w random(1, :workspaces)
SELECT ws, contact, conv FROM bench_ws WHERE n = :w \gset
BEGIN;
SELECT woes.set_context(':ws', 'customer', ':contact');
SELECT * FROM woes.customer_messages WHERE workspace_id = ':ws' AND conversation_id = ':conv' ORDER BY id DESC LIMIT 50;
COMMIT;
EOF
cat > "$work/read_all.pgbench" <<'EOF'
\set w random(1, :workspaces)
SELECT ws, contact, conv FROM bench_ws WHERE n = :w \gset
BEGIN;
SELECT woes.set_context(':ws', 'customer', ':contact');
SELECT * FROM woes.customer_messages WHERE conversation_id = ':conv' ORDER BY id DESC LIMIT 50;
COMMIT;
EOF

run=0
declare -A ratios
tps() {    # tps DB SCRIPT...: one pgbench run, its TPS (a failure: on stderr, and the run stops)
    local db=$1; shift
    local args=() f
    for f in "$@"; do args+=(-f "$work/$f.pgbench"); done
    run=$((run + 1))
    PGUSER=bench "$bindir/pgbench" -n -M simple -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" \
        -D workspaces="$WORKSPACES" -D seq=0 -D tag="r$run" "${args[@]}" "$db" > "$work/pgbench.log" 2>&1 ||
        { echo "pgbench failed ($db $*):"; tail -20 "$work/pgbench.log"; exit 1; } >&2
    grep -q "number of failed transactions: 0 " "$work/pgbench.log" ||
        { echo "failed transactions ($db $*):"; tail -20 "$work/pgbench.log"; exit 1; } >&2
    sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$work/pgbench.log"
}

echo "== 1. through the coordinator (shards on one worker) against a single node: TPS, $CLIENTS clients, ${DURATION}s x $ROUNDS rounds each"
printf '   %-9s %10s %10s %8s\n' "" single citus "citus/single"
for s in intake status read read_all; do
    single=0; citus=0
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) -eq 1 ]; then
            a=$(tps bench_single $s); b=$(tps woes_citus $s)
        else
            b=$(tps woes_citus $s); a=$(tps bench_single $s)
        fi
        single=$(echo "$single + $a" | bc -l); citus=$(echo "$citus + $b" | bc -l)
    done
    printf '   %-9s %10.1f %10.1f %8.2f\n' "$s" "$(echo "$single / $ROUNDS" | bc -l)" \
        "$(echo "$citus / $ROUNDS" | bc -l)" "$(echo "$citus / $single" | bc -l)"
    ratios[$s]=$(bench_ratio "$citus" "$single")
done

echo "== 2. throughput, $WORKSPACES workspaces, intake and status mixed: one worker, then two"
one=0
for r in $(seq 1 "$ROUNDS"); do one=$(echo "$one + $(tps woes_citus intake status)" | bc -l); done
q -c "SELECT citus_set_node_property('127.0.0.1', 9702, 'shouldhaveshards', true)" >/dev/null
t0=$(date +%s.%N)
q -c "SET client_min_messages = warning" -c "SELECT rebalance_table_shards(shard_transfer_mode => 'block_writes')" >/dev/null
printf '   rebalanced in %.1f s: %s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" \
    "$(qa -c "SELECT string_agg(nodeport || ': ' || n || ' shards', ', ' ORDER BY nodeport) FROM (SELECT nodeport, count(*) AS n FROM pg_dist_shard_placement GROUP BY 1) s")"
q -c "SELECT count(*) FROM woes.distribute()" >/dev/null   # the moved shards' column privileges
two=0
for r in $(seq 1 "$ROUNDS"); do two=$(echo "$two + $(tps woes_citus intake status)" | bc -l); done
printf '   %-9s %10s %10s %8s\n' "" "1 worker" "2 workers" "two/one"
printf '   %-9s %10.1f %10.1f %8.2f\n' mixed "$(echo "$one / $ROUNDS" | bc -l)" "$(echo "$two / $ROUNDS" | bc -l)" \
    "$(echo "$two / $one" | bc -l)"
problems=$(qa -c "SELECT count(*) FROM woes.doctor() WHERE NOT ok")
echo "== doctor after the rebalance: $problems problems"

# for test/bench/run-all (lib/result.sh): no goal (see README.md: on one
# 2-core machine the ratios are the price of the indirection, not a forecast)
echo "== results"
single_node="single node, same data and scripts"
bench_result "Citus: intake (woes.receive_message) through the coordinator" "$single_node" "${ratios[intake]}" -
bench_result "Citus: status change (set_pending + reopen) through the coordinator" "$single_node" "${ratios[status]}" -
bench_result "Citus: customer's last 50 messages, workspace named" "$single_node" "${ratios[read]}" -
bench_result "Citus: customer's last 50 messages, workspace not named" "$single_node" "${ratios[read_all]}" -
bench_result "Citus: intake + status, shards over 2 workers" "shards on 1 worker" "$(bench_ratio "$two" "$one")" -

#!/usr/bin/env bash
# Crash recovery: woes's data stays consistent when the server is killed in
# the middle of a mixed load, and nothing acknowledged is lost.
#
# Each round runs a load for a few seconds, kills the server, lets it
# recover and checks the data:
#   - the load: pgbench clients (test/robust/crash_load.sql) in set_context
#     transactions, as a woes_service member: intake by
#     woes.receive_message (chat and email threads, new conversations,
#     reopens, follow-ups of closed ones), single and three per transaction;
#     operator replies and notes; resolve, reopen, snooze, pending, close;
#     request_handoff, take_over, release_to_automation; wake_snoozed.
#     Beside it, one psql session writes a message per transaction and
#     prints an acknowledgement after each COMMIT returns;
#   - the crash: odd rounds kill one busy pgbench backend with SIGKILL (the
#     postmaster then ends every session and reinitializes: crash recovery
#     from the WAL); even rounds kill the postmaster and all its processes
#     with SIGKILL and start the cluster again with pg_ctlcluster (skipped,
#     and replaced by a backend kill, where the cluster cannot be found);
#   - the checks, after recovery: the server really went through a crash
#     (the checkpointer's pid changed); the load ran before it without
#     errors of its own; every acknowledged message is there; the invariants
#     of test/robust/invariants.sql hold (status = last status event, control
#     = last handoff event, no orphan messages, status events, handoff
#     events, participants, thread keys or traces, conversation numbers
#     1..n per workspace with the counter at n, an outbox event per change,
#     and events_since from 0 hands out every event of each workspace once,
#     in strictly increasing id order); every index of schema woes passes
#     amcheck's bt_index_check with heapallindexed (when amcheck is there).
# The next round starts from the recovered data, so it also checks that
# woes carries on after a crash (numbers continue without a gap, the cursor
# keeps reading).
#
#   WOES_LONG=1              long mode: 8 rounds of 20 s of load, 8 clients
#   WOES_CRASH_ROUNDS        rounds (quick mode: 2, one of each kind)
#   WOES_CRASH_LOAD_SECONDS  load before each kill (quick mode: 5)
#   WOES_CRASH_CLIENTS       pgbench clients (quick mode: 4)
#
# Quick mode: about 20 s on 2 cores.  Runs against the cluster in PG*
# (pg_virtualenv in test/run); needs a superuser, and to be root or the
# server's OS user to kill the server (otherwise the superuser kills a
# backend through COPY ... TO PROGRAM).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/robust/lib.sh"

if [ -n "${WOES_LONG:-}" ]; then
    rounds=${WOES_CRASH_ROUNDS:-8}
    load_seconds=${WOES_CRASH_LOAD_SECONDS:-20}
    clients=${WOES_CRASH_CLIENTS:-8}
else
    rounds=${WOES_CRASH_ROUNDS:-2}
    load_seconds=${WOES_CRASH_LOAD_SECONDS:-5}
    clients=${WOES_CRASH_CLIENTS:-4}
fi

db="woes_crash_$$"
app="woes_crash_app_$$"
pw="crash-$$-$RANDOM$RANDOM"
work="$(mktemp -d /tmp/woes_crash.XXXXXX)"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
bg_pids=()

cleanup() {
    local p
    for p in "${bg_pids[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null
    # leave a running server behind, whatever happened
    if ! wait_for_server 5 && [ -n "${cluster:-}" ]; then
        pg_ctlcluster ${cluster/\// } start >/dev/null 2>&1 || true
        wait_for_server 60 || true
    fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $app" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s)

# the cluster as pg_ctlcluster knows it ("15/regress" under pg_virtualenv)
cluster=$(qa -d postgres -c "SHOW cluster_name" 2>/dev/null)
datadir=$(qa -d postgres -c "SHOW data_directory")
if [ -z "$cluster" ] || ! command -v pg_ctlcluster >/dev/null 2>&1 ||
   ! pg_ctlcluster ${cluster/\// } status >/dev/null 2>&1 || [ ! -r "$datadir/postmaster.pid" ]; then
    echo "note: cannot manage the cluster with pg_ctlcluster: every round kills a backend"
    cluster=""
fi
echo "== crash recovery: $rounds rounds, $load_seconds s of load with $clients clients each; cluster ${cluster:-?}"

echo "== setup"
q -d postgres -c "CREATE DATABASE $db" || exit 1
# (the extension first: it creates the group roles in a new cluster)
q -d "$db" > /dev/null <<SQL || exit 1
CREATE EXTENSION woes;
SET client_min_messages = warning;
DROP ROLE IF EXISTS $app;
CREATE ROLE $app LOGIN PASSWORD '$pw' IN ROLE woes_service;
\i $here/robust/crash_load.sql
SQL
amcheck=0
q -d "$db" -c "CREATE EXTENSION IF NOT EXISTS amcheck" >/dev/null 2>&1 && amcheck=1
for n in 1 2; do
    q -d "$db" -v n="$n" -v app="$app" > /dev/null <<'SQL' || exit 1
SET ROLE :"app";
SELECT woes.create_workspace('crash-' || :'n', 'Crash ' || :'n') AS ws \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Olga', 'olga@crash' || :'n' || '.test') AS op1 \gset
SELECT woes.add_operator('Piet', 'piet@crash' || :'n' || '.test') AS op2 \gset
-- chats start under automation (an agent serves them), email under operators
SELECT woes.add_agent('Bot', ARRAY['live_chat']);
COMMIT;
RESET ROLE;
INSERT INTO load.cfg VALUES (:'n', :'ws', :'op1', :'op2');
SQL
done

# the pgbench scripts: one step per transaction, or three messages at once
cat > "$work/act.sql" <<'SQL'
\set w random(1, 2)
\set o random(1, 2)
\set a random(1, 100)
\set n random(1, 250)
\set r random(1, 2000000000)
BEGIN;
SELECT woes.set_context(c.ws, 'operator', CASE :o WHEN 1 THEN c.op1 ELSE c.op2 END) FROM load.cfg c WHERE c.n = :w;
SELECT load.act(:a, :n, :r);
END;
SQL
cat > "$work/batch.sql" <<'SQL'
\set w random(1, 2)
\set r random(1, 2000000000)
BEGIN;
SELECT woes.set_context(c.ws, 'operator', c.op1) FROM load.cfg c WHERE c.n = :w;
SELECT load.act(1, 0, :r);
SELECT load.act(1, 0, :r + 1);
SELECT load.act(1, 0, :r + 2);
END;
SQL

# the acknowledged writer of round $1: a message per transaction, "ack <id>"
# printed once its COMMIT has returned
ack_script() {
    awk -v round="$1" 'BEGIN {
        print "\\set ON_ERROR_STOP 1"
        print "SELECT ws, op1 FROM load.cfg WHERE n = 1 \\gset"
        for (i = 1; i <= 50000; i++) {
            print "BEGIN;"
            print "SELECT woes.set_context(:'"'"'ws'"'"', '"'"'operator'"'"', :'"'"'op1'"'"') \\g /dev/null"
            printf "SELECT woes.receive_message('"'"'api'"'"', '"'"'ack-%d'"'"', '"'"'acker'"'"', '"'"'acknowledged %d'"'"', '"'"'ack-%d-%d'"'"') \\g /dev/null\n", i % 40, i, round, i
            print "COMMIT;"
            printf "\\echo ack ack-%d-%d\n", round, i
        }
    }'
}

connstr="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=$db user=$app password=$pw"

kill_backend() {   # SIGKILL one busy backend of the load; prints its pid
    local pid
    pid=$(qa -d postgres -c "SELECT pid FROM pg_stat_activity
                             WHERE datname = '$db' AND application_name = 'pgbench' AND pid <> pg_backend_pid()
                             ORDER BY state = 'active' DESC, random() LIMIT 1")
    [ -n "$pid" ] || { echo "no backend of the load to kill"; return 1; }
    echo "killing backend $pid (SIGKILL)"
    if ! kill -KILL "$pid" 2>/dev/null; then
        # not allowed to signal the server's processes: the server does it
        psql -X -q -d postgres -c "COPY (SELECT 1) TO PROGRAM 'kill -KILL $pid'" >/dev/null 2>&1 || true
    fi
}

children_of() {   # the pids whose parent is $1 (from /proc: no ps needed)
    local f
    for f in /proc/[0-9]*/stat; do
        awk -v p="$1" '{ sub(/^.*\) /, ""); if ($2 == p) { split(FILENAME, a, "/"); print a[3] } }' "$f" 2>/dev/null
    done
}

kill_postmaster() {   # SIGKILL the postmaster and every process of it, then start again
    local pm children p i alive
    pm=$(head -1 "$datadir/postmaster.pid")
    children=$(children_of "$pm")
    echo "killing the postmaster $pm and its $(echo "$children" | wc -w) processes (SIGKILL)"
    kill -KILL "$pm" $children 2>/dev/null || { echo "cannot signal the server"; return 1; }
    for ((i = 0; i < 100; i++)); do
        alive=0
        for p in $pm $children; do
            kill -0 "$p" 2>/dev/null && alive=1
        done
        [ $alive -eq 0 ] && break
        sleep 0.1
    done
    echo "starting the cluster: pg_ctlcluster ${cluster/\// } start"
    pg_ctlcluster ${cluster/\// } start || return 1
}

logfile=$(server_log_file)
acks_total=0
for ((round = 1; round <= rounds; round++)); do
    mode=backend
    if ((round % 2 == 0)) && [ -n "$cluster" ]; then
        mode=postmaster
    fi
    echo "== round $round: $load_seconds s of load, then kill the $mode"
    incarnation=$(server_incarnation)
    logoff=$(log_size "$logfile")
    before=$(qa -d "$db" -c "SELECT count(*) FROM woes.events")

    ack_script "$round" > "$work/ack.sql"
    psql -X -q "$connstr" -f "$work/ack.sql" > "$work/acks.$round" 2> "$work/ack_err.$round" &
    ack_pid=$!
    PGUSER="$app" PGPASSWORD="$pw" PGDATABASE="$db" \
        pgbench -n -c "$clients" -j 2 -T $((load_seconds + 60)) --max-tries=20 \
        -f "$work/act.sql@6" -f "$work/batch.sql@1" > "$work/pgbench.$round" 2>&1 &
    bench_pid=$!
    bg_pids=("$ack_pid" "$bench_pid")
    sleep "$load_seconds"

    mid=$(qa -d "$db" -c "SELECT count(*) FROM woes.events")
    echo "events written so far in this round: $((mid - before))"
    [ "$mid" -gt "$before" ] || fail "round $round: the load wrote nothing"
    if [ "$mode" = postmaster ]; then
        kill_postmaster || fail "round $round: could not kill and restart the server"
    else
        kill_backend || fail "round $round: could not kill a backend"
    fi

    # the clients end with their connections; give them a moment
    for ((i = 0; i < 100; i++)); do
        kill -0 "$bench_pid" 2>/dev/null || kill -0 "$ack_pid" 2>/dev/null || break
        sleep 0.2
    done
    kill "$bench_pid" "$ack_pid" 2>/dev/null
    wait "$bench_pid" "$ack_pid" 2>/dev/null
    bg_pids=()

    if ! wait_for_server 60; then
        fail "round $round: the server did not come back"
        break
    fi
    echo "recovered in $(($(date +%s) - start)) s since the start"
    now=$(server_incarnation)
    [ "$now" != "$incarnation" ] || fail "round $round: the server shows no sign of a crash (same checkpointer, same start time)"
    crash_lines_since "$logfile" "$logoff" | head -3

    # the load's own errors (not those of the crash) fail the test
    grep -hE 'ERROR|FATAL|aborted' "$work/pgbench.$round" "$work/ack_err.$round" |
        grep -vE 'terminat|connection|server closed|crash of another|57P0|lost|shutting down|starting up|in recovery|system is|Run was aborted|backend died' |
        sort | uniq -c | head -10 > "$work/load_errors"
    if [ -s "$work/load_errors" ]; then
        cat "$work/load_errors"
        fail "round $round: the load failed before the crash (above)"
    fi
    grep -E '^number of (transactions|failed)' "$work/pgbench.$round" | sed 's/^/pgbench: /'

    # nothing acknowledged is lost
    acks=$(grep -c '^ack ' "$work/acks.$round")
    acks_total=$((acks_total + acks))
    if [ "$acks" -gt 0 ]; then
        grep '^ack ' "$work/acks.$round" | cut -d' ' -f2 > "$work/acked.$round"
        lost=$(q -At -d "$db" -c "CREATE TEMP TABLE acked (ext text)" -c "\\copy acked FROM '$work/acked.$round'" \
               -c "SELECT count(*) FROM acked a WHERE NOT EXISTS (SELECT FROM woes.messages m
                       WHERE m.channel = 'api' AND m.external_id = a.ext)")
        echo "acknowledged messages: $acks, missing after recovery: $lost"
        [ "$lost" = 0 ] || fail "round $round: $lost acknowledged messages are gone"
    else
        fail "round $round: no message was acknowledged before the crash"
    fi

    inv=$(qa -d "$db" -f "$here/robust/invariants.sql" 2>&1)
    echo "$inv" | sed 's/^/   /'
    grep -q 'FAIL\|ERROR' <<< "$inv" && fail "round $round: a data invariant is broken after recovery"

    if [ $amcheck -eq 1 ]; then
        # bt_index_check raises an error on the first inconsistency it finds
        if checked=$(qa -d "$db" -c "
                SELECT count(*) FROM (SELECT bt_index_check(c.oid, true)
                                        FROM pg_class c JOIN pg_am a ON a.oid = c.relam
                                       WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'i'
                                         AND a.amname = 'btree') x" 2>&1); then
            echo "   amcheck: the $checked btree indexes of schema woes match their tables"
        else
            echo "$checked"
            fail "round $round: amcheck finds a corrupt index"
        fi
    fi
done

qa -d "$db" -c "SELECT format('after %s rounds: %s conversations, %s messages, %s status events, %s handoff events, %s outbox events',
                              $rounds, (SELECT count(*) FROM woes.conversations), (SELECT count(*) FROM woes.messages),
                              (SELECT count(*) FROM woes.status_events), (SELECT count(*) FROM woes.handoff_events),
                              (SELECT count(*) FROM woes.events))"
echo "crash_recovery: $acks_total acknowledged messages checked, $(($(date +%s) - start)) s, $failures failure(s)"
[ "$failures" -eq 0 ]

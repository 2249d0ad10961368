#!/usr/bin/env bash
# Fuzz test of every C input function of woes: generated inputs, most of
# them malformed, must each be accepted or rejected with a proper SQLSTATE,
# and the server must never crash.
#
#   - the text input of woes.audience, woes.status, woes.visibility and
#     woes.control (their _in functions, through the text cast);
#   - their binary input (the _recv functions): each input sent by a small
#     libpq client (test/robust/fuzz_recv.c, compiled here) as a binary
#     parameter typed as the woes type, in the client encodings UTF8, LATIN1,
#     GB18030 and SQL_ASCII, with arbitrary bytes (invalid UTF-8, NUL, long);
#   - the settings woes.workspace and woes.actor (the uuid parser of their
#     check hook) and woes.audience, by SET LOCAL and set_config(), as a
#     superuser and as a woes_service member;
#   - the text arguments of woes.receive_message (channel, thread_ref,
#     sender_external_id, body, external_message_id, sender_name) and its
#     sent_at, in the operator audience of a workspace, as a superuser and as
#     a woes_service member;
#   - the reason argument of the C status and handoff API (woes.transition,
#     woes.resolve, woes.request_handoff; it becomes the woes.reason setting
#     for the call) on the conversations the intake made.
#
# Inputs are generated server-side (test/robust/fuzz.sql: PL/pgSQL, one
# subtransaction per input, SQLSTATE from GET STACKED DIAGNOSTICS): random
# UTF-8 (control characters, combining marks, look-alikes, astral planes),
# near-miss labels and uuids (case, blanks, prefixes, edits, full-width
# forms), numbers, very long strings.  Batches are seeded, so a batch's
# inputs are the same on every run: a finding is reproduced by running its
# batch again.  The log names each batch and its seed; to replay one, load
# test/robust/fuzz.sql into a database with woes (and, for the intake and
# the reasons, the workspace set up below) and call the batch's function
# with the same arguments, e.g. SELECT fuzz.run_type('status', 5000, 0.311957);
# the binary inputs are replayed by fuzz_recv with the same N and SEED.
#
# Fails on: a crash (the fuzzing session is lost, the checkpointer's pid or
# the postmaster's start time changes, or the server log reports a crashed
# process), a rejection with SQLSTATE class XX (internal error: an elog()
# where an ereport() with a code belongs) or none, an oracle violation
# (e.g. a type accepting anything but its exact labels, a uuid setting
# holding another uuid than given, a valid value rejected), or a broken data
# invariant after the intake fuzzing (test/robust/invariants.sql).  Prints
# the count per function and SQLSTATE, with the first input of each.
#
#   WOES_LONG=1          long mode: 20 times the inputs (WOES_FUZZ_SCALE to
#                        choose another factor) and a random base seed
#   WOES_FUZZ_SEED=n     base seed (default 1 in quick mode)
#
# Quick mode: about 212,000 inputs in about 20 s on 2 cores.  Runs against the
# cluster in PG* (pg_virtualenv in test/run); needs a superuser, a C
# compiler and libpq's headers (build-essential, libpq-dev).
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/robust/lib.sh"

db="woes_fuzz_$$"
role="woes_fuzz_service_$$"
work="$(mktemp -d /tmp/woes_fuzz.XXXXXX)"
PG_CONFIG=${PG_CONFIG:-pg_config}

if [ -n "${WOES_LONG:-}" ]; then
    scale=${WOES_FUZZ_SCALE:-20}
    base=${WOES_FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}
else
    scale=${WOES_FUZZ_SCALE:-1}
    base=${WOES_FUZZ_SEED:-1}
fi
# inputs in quick mode (times scale)
type_n=$((30000 * scale))          # per type, text input
setting_n=$((6000 * scale))        # per setting and role
intake_n=$((12000 * scale))        # receive_message, both roles together
recv_n=$((10000 * scale))          # per type, binary input
reason_n=$((4000 * scale))         # the reason of the status and handoff API
type_batch=5000
setting_batch=3000
# receive_message holds two advisory locks per accepted call until its batch
# (one transaction) ends: batches stay well inside the lock table
intake_batch=500

cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

start=$(date +%s)
echo "== fuzz: base seed $base, scale $scale"

# the binary-input client
if ! cc -O1 -o "$work/fuzz_recv" "$here/robust/fuzz_recv.c" -I"$("$PG_CONFIG" --includedir)" -lpq 2> "$work/cc.log"; then
    cat "$work/cc.log"
    echo "FAIL: cannot build test/robust/fuzz_recv.c (needs a C compiler and libpq-dev)"
    exit 1
fi

q -d postgres -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'" || exit 1
# (the extension first: it creates the group roles in a new cluster)
q -d "$db" -v role="$role" > /dev/null <<SQL || exit 1
CREATE EXTENSION woes;
SET client_min_messages = warning;
DROP ROLE IF EXISTS $role;
CREATE ROLE $role NOLOGIN IN ROLE woes_service;
\i $here/robust/fuzz.sql
SELECT woes.create_workspace('fuzz', 'Fuzz') AS ws \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Fuzz Operator', 'operator@fuzz.test') AS op \gset
-- an agent for chat and api: their conversations start under automation
SELECT woes.add_agent('Fuzz Bot', ARRAY['live_chat', 'api']);
COMMIT;
INSERT INTO fuzz.cfg VALUES (:'ws', :'op');
SQL

incarnation=$(server_incarnation)
logfile=$(server_log_file)
logoff=$(log_size "$logfile")
echo "server: $incarnation; log: ${logfile:-unknown}"

# The batches, as one psql script run by one session: if any input crashes a
# backend, the postmaster ends every session, this one too, and psql stops
# right after the batch that did it.
seq_no=0
batch() {   # batch <label> <call with SEED> [role]
    local s
    seq_no=$((seq_no + 1))
    s=$(awk -v b="$base" -v i="$seq_no" 'BEGIN { printf "0.%06d", (b * 7919 + i * 104729) % 1000000 }')
    echo "\\echo batch $1 seed $s"
    [ -n "${3:-}" ] && echo "SET ROLE $3;"
    echo "${2//SEED/$s} \\g /dev/null"
    [ -n "${3:-}" ] && echo "RESET ROLE;"
    echo "SELECT 1 \\g /dev/null"
}
{
    echo "\\set ON_ERROR_STOP 1"
    echo "SELECT pg_backend_pid() AS fuzz_pid \\gset"
    for typ in audience status visibility control; do
        for ((done_n = 0; done_n < type_n; done_n += type_batch)); do
            batch "woes.$typ text input x$type_batch" "SELECT fuzz.run_type('$typ', $type_batch, SEED)"
        done
    done
    for who in superuser service; do
        r=""; [ "$who" = service ] && r=$role
        for setting in woes.workspace woes.actor woes.audience; do
            for ((done_n = 0; done_n < setting_n; done_n += setting_batch)); do
                batch "$setting setting ($who) x$setting_batch" "SELECT fuzz.run_setting('$setting', $setting_batch, SEED)" "$r"
            done
        done
    done
    k=0
    for ((done_n = 0; done_n < intake_n; done_n += intake_batch)); do
        # every other batch as the woes_service member
        if ((k++ % 2)); then
            batch "receive_message (service) x$intake_batch" "SELECT fuzz.run_intake($intake_batch, SEED)" "$role"
        else
            batch "receive_message (superuser) x$intake_batch" "SELECT fuzz.run_intake($intake_batch, SEED)"
        fi
    done
    k=0
    for ((done_n = 0; done_n < reason_n; done_n += intake_batch)); do
        if ((k++ % 2)); then
            batch "status and handoff reasons (service) x$intake_batch" "SELECT fuzz.run_reason($intake_batch, SEED)" "$role"
        else
            batch "status and handoff reasons (superuser) x$intake_batch" "SELECT fuzz.run_reason($intake_batch, SEED)"
        fi
    done
    echo "SELECT pg_backend_pid() = :fuzz_pid AS same_session \\gset"
    echo "\\echo same session: :same_session"
} > "$work/run.sql"

echo "== text input, settings, receive_message ($(grep -c '^\\echo batch' "$work/run.sql") batches)"
t0=$(date +%s)
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/run.sql" > "$work/run.log" 2>&1
rc=$?
echo "   $(($(date +%s) - t0)) s"
if [ $rc -ne 0 ] || ! grep -q '^same session: t$' "$work/run.log"; then
    tail -20 "$work/run.log"
    fail "the fuzzing session ended early (exit $rc) in the last batch shown above: a crash, or an error outside the per-input blocks"
fi

echo "== binary input (woes_fuzz_recv: $recv_n per type)"
t0=$(date +%s)
PGDATABASE="$db" "$work/fuzz_recv" "$recv_n" "$base" > "$work/recv.tsv" 2> "$work/recv.err"
rc=$?
echo "   $(($(date +%s) - t0)) s"
cat "$work/recv.err"
case $rc in
    0) ;;
    3) fail "the binary-input session lost its connection (crash?): input above; rerun: fuzz_recv $recv_n $base" ;;
    4) fail "binary input accepted something else than an exact label, or rejected a label (above)" ;;
    *) fail "fuzz_recv failed (exit $rc)" ;;
esac
if [ -s "$work/recv.tsv" ]; then
    q -d "$db" -c "CREATE TEMP TABLE r (LIKE fuzz.outcomes)" \
        -c "\\copy r FROM '$work/recv.tsv'" \
        -c "INSERT INTO fuzz.outcomes AS o SELECT * FROM r ON CONFLICT (func, outcome) DO UPDATE SET n = o.n + excluded.n" \
        > /dev/null || fail "could not load the binary-input results"
fi

echo "== is the server still the same?"
if ! wait_for_server 30; then
    fail "the server does not answer"
else
    now=$(server_incarnation)
    echo "server: $now"
    [ "$now" = "$incarnation" ] || fail "the server restarted or reinitialized after a crash (was: $incarnation)"
fi
crashes=$(crash_lines_since "$logfile" "$logoff")
if [ -n "$crashes" ]; then
    echo "$crashes"
    fail "the server log reports a crashed process"
fi

echo "== outcomes per function (count, SQLSTATE or accepted, first input, its message)"
psql -X -q -P pager=off -d "$db" -c "
    SELECT func, outcome, n, example, message FROM fuzz.outcomes ORDER BY func, n DESC"
psql -X -q -P pager=off -d "$db" -c "
    SELECT func, sum(n) AS inputs, sum(n) FILTER (WHERE outcome = 'accepted') AS accepted
      FROM fuzz.outcomes GROUP BY ROLLUP (func) ORDER BY func NULLS LAST"
total=$(qa -d "$db" -c "SELECT coalesce(sum(n), 0) FROM fuzz.outcomes")
echo "inputs in total: $total"

# rejections woes's documentation does not list for the function (reported,
# not failed: each is a place where a raw PostgreSQL error reaches the caller)
qa -d "$db" -c "
    SELECT format('NOTE: %s rejected %s inputs with %s, not a documented error of it; e.g. %s: %s', func, n, outcome, example, message)
      FROM fuzz.outcomes
     WHERE outcome <> 'accepted' AND outcome !~ '^XX' AND outcome <> ''
       AND NOT (func LIKE 'woes.%text input' AND outcome = '22P02')
       AND NOT (func LIKE 'woes.%binary receive' AND outcome IN ('22P02', '22021', '22P05'))
       AND NOT (func ~ '^woes.(workspace|actor) setting' AND outcome = '22P02')
       AND NOT (func LIKE 'woes.audience setting%' AND outcome IN ('22023', 'WO003'))
       AND NOT (func LIKE 'woes.receive_message%' AND outcome ~ '^WO')
       AND NOT (func ~ '^woes[.](transition|resolve|request_handoff) reason' AND outcome ~ '^WO')
     ORDER BY func, n DESC"

bad=$(qa -d "$db" -c "SELECT count(*) FROM fuzz.outcomes WHERE outcome ~ '^XX' OR outcome = ''")
if [ "$bad" != 0 ]; then
    qa -d "$db" -c "SELECT format('%s: %s inputs rejected with SQLSTATE %s; e.g. %s: %s', func, n, coalesce(nullif(outcome, ''), '(none)'), example, message)
                      FROM fuzz.outcomes WHERE outcome ~ '^XX' OR outcome = ''"
    fail "rejections without a proper SQLSTATE (class XX or none)"
fi
nviol=$(qa -d "$db" -c "SELECT count(*) FROM fuzz.violations")
if [ "$nviol" != 0 ]; then
    qa -d "$db" -c "SELECT format('%s: %s: %s', func, input, detail) FROM fuzz.violations LIMIT 30"
    fail "$nviol inputs got a wrong answer (above)"
fi

echo "== data invariants after the intake fuzzing"
inv=$(qa -d "$db" -f "$here/robust/invariants.sql" 2>&1)
echo "$inv"
grep -q 'FAIL\|ERROR' <<< "$inv" && fail "a data invariant is broken"

echo "fuzz: $total inputs, $(($(date +%s) - start)) s, $failures failure(s)"
[ "$failures" -eq 0 ]

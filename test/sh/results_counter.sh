#!/usr/bin/env bash
# The closing line of test/run never says more passed than really did: the
# counter test/suites uses (test/lib/results.sh) is fed the output of
# failing runs, in the format of PostgreSQL 15 (classic lines) and of 16 and
# later (TAP lines), and must count every failure: a failed test, a test
# that never ran because the server crashed, and a runner that failed
# without naming a test.  The fixtures are in test/fixtures/runner-output/.
set -uo pipefail
cd "$(dirname "$0")/../.."
. test/lib/results.sh
fx=test/fixtures/runner-output
problems=0

check() {   # check WHAT EXPECTED_PASSED EXPECTED_FAILED LOG STATUS NAME...
    local what=$1 want_pass=$2 want_fail=$3 log=$4 status=$5
    shift 5
    passed=0 failed=0 failures=()
    count_results regress "$log" "$status" "$@" >/dev/null
    if [ "$passed" = "$want_pass" ] && [ "$failed" = "$want_fail" ]; then
        echo "ok: $what: $passed passed, $failed failed (${failures[*]:-})"
    else
        echo "FAIL: $what: counted $passed passed, $failed failed; expected $want_pass passed, $want_fail failed"
        problems=$((problems + 1))
    fi
}

check "PostgreSQL 15, a failed test and a failed one in a parallel group" 3 2 \
    $fx/pg15_failing.log 1 00_setup 00_types 10_context 20_workspaces 30_lifecycle
check "PostgreSQL 17, the server crashed in a test (TAP)" 2 3 \
    $fx/pg17_crash.log 2 00_setup 00_types 10_context 10_context_attacks 10_context_hardening
check "PostgreSQL 17, the runner stopped early: unreported tests fail" 2 3 \
    $fx/pg17_stopped_early.log 2 00_setup 00_types 10_context 10_context_attacks 10_context_hardening
check "PostgreSQL 18, a passing run with a parallel group (TAP)" 3 0 \
    $fx/pg18_passing.log 0 00_setup 20_workspaces 30_lifecycle
check "every test ok, but the runner failed: one failure" 3 1 \
    $fx/pg18_passing.log 2 00_setup 20_workspaces 30_lifecycle
check "a listed test that does not exist did not run" 1 1 \
    $fx/pg18_passing.log 0 00_setup no_such_test
# a real run's summary line is not a test's line
check "summary lines are not counted" 0 1 $fx/pg15_failing.log 1 tests


[ "$problems" -eq 0 ] || { echo "results_counter: $problems problem(s)"; exit 1; }
echo "results_counter: ok"

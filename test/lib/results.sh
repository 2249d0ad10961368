# Sourced by test/suites: counts what a runner reported, so the closing
# "N passed, N failed" never says more passed than really did.
#
#   count_results KIND LOG STATUS NAME...
#
# KIND names the runner in the list of failures (regress, isolation); LOG is
# the runner's output; STATUS its exit status; NAME... the tests it was asked
# to run.  pg_regress and pg_isolation_regress print one line per test:
# before PostgreSQL 16 "test NAME ... ok 12 ms" (or "     NAME ... FAILED"
# inside a parallel group), since 16 TAP lines ("ok 1 - NAME 12 ms",
# "not ok 2 + NAME 30 ms").  Both are read.  A listed test counts as passed
# only when its own line says ok; a listed test with no line at all (the
# runner stopped early, say because the server crashed) is a failure, and so
# is a non-zero exit status that no failed test explains.  Adds to the
# caller's passed, failed and failures.
count_results() {
    local kind=$1 log=$2 status=$3 name verdict bad_before=$failed
    shift 3
    local verdicts
    # "NAME ok" or "NAME failed", one line per test the log reports
    verdicts=$(sed -nE \
        -e 's/^(test )?[[:space:]]*([^[:space:]]+)[[:space:]]+\.\.\.[[:space:]]+ok([[:space:]].*)?$/\2 ok/p' \
        -e 's/^(test )?[[:space:]]*([^[:space:]]+)[[:space:]]+\.\.\.[[:space:]]+(FAILED|failed).*$/\2 failed/p' \
        -e 's/^ok[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([^[:space:]]+).*$/\1 ok/p' \
        -e 's/^not ok[[:space:]]+[0-9]+[[:space:]]+[-+][[:space:]]+([^[:space:]]+).*$/\1 failed/p' \
        "$log")
    for name in "$@"; do
        # the last verdict for the name wins (a name is reported once)
        verdict=$(printf '%s\n' "$verdicts" | awk -v n="$name" '$1 == n { v = $2 } END { print v }')
        case "$verdict" in
            ok) passed=$((passed + 1)) ;;
            failed) failed=$((failed + 1)); failures+=("$kind/$name") ;;
            *) failed=$((failed + 1)); failures+=("$kind/$name(did not run)")
               echo "$kind: $name did not run (no line for it in the runner's output)" ;;
        esac
    done
    if [ "$status" -ne 0 ] && [ "$failed" -eq "$bad_before" ]; then
        failed=$((failed + 1)); failures+=("$kind(exit status $status)")
        echo "$kind: the runner exited with status $status although every listed test passed"
    fi
}

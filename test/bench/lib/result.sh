# shellcheck shell=bash
# Sourced by the benchmark scripts (test/bench/run.sh, test/bench/*/run.sh):
# the one format in which each reports its results, besides what it prints
# for a reader, so that test/bench/run-all can collect them into one table.
#
#   bench_result PATH BASELINE RATIO GOAL
#
# prints one line to stdout:
#
#   BENCH|PATH|BASELINE|RATIO|GOAL
#
# PATH names the measured path ("intake: woes.receive_message, interleaved"),
# BASELINE what it is compared with ("bare INSERT + thread lookup"), RATIO
# the figure (a number, printed with two decimals; anything else, say when
# a side ran no transaction, is passed on as it is and run-all shows the row
# as failed), GOAL ">=0.70" (higher is better), "<=1.2" (lower is better) or
# "-" (no goal: for information; higher is better).  The goals are those of
# the performance issue; where a script's own summary line names an older
# target, that line is left as it was.  PATH and BASELINE cannot contain
# "|"; the pair PATH and bench is what run-all compares from one run to the
# next, so keep a path's name stable.
bench_result() {
    local path=$1 baseline=$2 ratio=$3 goal=$4
    case "$path$baseline" in
        *'|'*) echo "bench_result: a '|' in \"$path\" or \"$baseline\"" >&2; return 1 ;;
    esac
    case "$goal" in
        '>='[0-9]*|'<='[0-9]*|-) ;;
        *) echo "bench_result: goal \"$goal\" is not >=N, <=N or -" >&2; return 1 ;;
    esac
    if [[ $ratio =~ ^[0-9]+(\.[0-9]*)?$ ]]; then
        ratio=$(awk -v r="$ratio" 'BEGIN { printf "%.2f", r }')
    fi
    printf 'BENCH|%s|%s|%s|%s\n' "$path" "$baseline" "$ratio" "$goal"
}

# bench_ratio NUMERATOR DENOMINATOR: their quotient, or "n/a" when the
# denominator is missing or zero (a side that ran nothing)
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.4f\n", a / b }'
}

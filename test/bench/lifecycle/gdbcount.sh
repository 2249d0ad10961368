#!/usr/bin/env bash
# Breakpoint counters for status_ops.sql (called from psql with \!).
#
#   gdbcount.sh start LABEL   attach gdb to backend $WOES_PID with a counting
#                             breakpoint (never stops) on every allocation
#                             and catalog-lookup entry point, and on some
#                             woes / int functions; return once attached
#   gdbcount.sh wait LABEL    wait until the backend has called
#                             pg_backend_pid() (the end marker: gdb prints
#                             the hit counts and detaches)
#   gdbcount.sh report A B... one table of the counts of runs A, B, ...
#   gdbcount.sh static        disassemble the comparison functions and
#                             can_transition of the installed woes.so and
#                             list every call they make
#
# Only exported symbols can be broken on (the server is stripped), so the
# allocation entry points are the exported ones: palloc*, MemoryContextAlloc*,
# repalloc, and libc malloc; catalog lookups: SearchCatCache* (every syscache
# lookup: SearchSysCache*, lsyscache.c, fmgr_info), systable_beginscan (a
# catalog scan), lookup_type_cache, RelationIdGetRelation.
set -euo pipefail
mode=$1
shift
OUT=${WOES_LC_OUT:?}

ALLOC="palloc palloc0 palloc_extended MemoryContextAlloc MemoryContextAllocZero MemoryContextAllocZeroAligned MemoryContextAllocExtended MemoryContextAllocHuge repalloc malloc"
LOOKUP="SearchCatCache SearchCatCache1 SearchCatCache2 SearchCatCache3 SearchCatCache4 SearchCatCacheList systable_beginscan lookup_type_cache RelationIdGetRelation"
CALLS="woes_can_transition woes_enum_lt woes_enum_cmp woes_enum_hash int4lt btint4cmp hashint4"
FUNCS="$ALLOC $LOOKUP $CALLS"

case $mode in
start)
    label=$1
    cmds=$OUT/$label.cmds
    {
        echo "set pagination off"
        echo "set confirm off"
        echo "set breakpoint pending on"
        i=0
        for f in $FUNCS; do
            i=$((i + 1))
            echo "break $f"
            echo "ignore $i 1000000000"
        done
        echo "break pg_backend_pid"
        echo "commands"
        echo "info breakpoints"
        echo "detach"
        echo "quit"
        echo "end"
        echo 'echo GDB-READY\n'
        echo "continue"
    } >"$cmds"
    (timeout 600 gdb -p "${WOES_PID:?}" -batch -x "$cmds" </dev/null >"$OUT/$label.gdb" 2>&1 &
     echo $! >"$OUT/$label.pid")
    for _ in $(seq 1 300); do
        grep -q GDB-READY "$OUT/$label.gdb" 2>/dev/null && exit 0
        kill -0 "$(cat "$OUT/$label.pid")" 2>/dev/null || break
        sleep 0.1
    done
    echo "gdbcount.sh: gdb could not attach to $WOES_PID:" >&2
    tail -5 "$OUT/$label.gdb" >&2
    exit 1
    ;;
wait)
    label=$1
    pid=$(cat "$OUT/$label.pid")
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    grep -q "breakpoint already hit" "$OUT/$label.gdb" || {
        echo "gdbcount.sh: no counts from gdb ($label)" >&2
        tail -5 "$OUT/$label.gdb" >&2
        exit 1
    }
    # counts, one "function count" per line, in FUNCS order
    awk -v funcs="$FUNCS" '
        BEGIN { n = split(funcs, f, " ") }
        /^[0-9]+ +breakpoint / { cur = $1 + 0 }
        /breakpoint already hit/ { hits[cur] = $4 }
        END { for (i = 1; i <= n; i++) print f[i], hits[i] + 0 }
    ' "$OUT/$label.gdb" >"$OUT/$label.counts"
    ;;
report)
    # report label... : a table, function by run
    printf '   %-30s' "entry point \\ run"
    for l in "$@"; do printf ' %12s' "$l"; done
    echo
    for f in $FUNCS; do
        printf '   %-30s' "$f"
        for l in "$@"; do printf ' %12s' "$(awk -v f="$f" '$1 == f { print $2 }' "$OUT/$l.counts")"; done
        echo
    done
    ;;
verdict)
    # verdict S10 S2000 I10 I2000: counts must not grow with the rows, and
    # the woes functions must have run once per row
    s10=$OUT/$1.counts s2k=$OUT/$2.counts i10=$OUT/$3.counts i2k=$OUT/$4.counts
    for f in "$s10" "$s2k" "$i10" "$i2k"; do
        [ -s "$f" ] || { echo "   VERDICT: not measured (gdb could not attach or count; see above)"; exit 0; }
    done
    sum() { # file, list of functions
        awk -v fs="$2" 'BEGIN { split(fs, f, " "); for (i in f) want[f[i]] = 1 }
                        want[$1] { t += $2 } END { print t + 0 }' "$1"
    }
    get() { awk -v f="$2" '$1 == f { print $2 }' "$1"; }
    a10=$(sum "$s10" "$ALLOC") a2k=$(sum "$s2k" "$ALLOC") l10=$(sum "$s10" "$LOOKUP") l2k=$(sum "$s2k" "$LOOKUP")
    ia10=$(sum "$i10" "$ALLOC") ia2k=$(sum "$i2k" "$ALLOC") il10=$(sum "$i10" "$LOOKUP") il2k=$(sum "$i2k" "$LOOKUP")
    ct10=$(get "$s10" woes_can_transition) ct2k=$(get "$s2k" woes_can_transition)
    lt10=$(get "$s10" woes_enum_lt) lt2k=$(get "$s2k" woes_enum_lt)
    echo "   woes.status query: allocations $a10 (10 rows) -> $a2k (2000 rows); catalog lookups $l10 -> $l2k"
    echo "   int4 query:        allocations $ia10 (10 rows) -> $ia2k (2000 rows); catalog lookups $il10 -> $il2k"
    echo "   calls: woes_can_transition $ct10 -> $ct2k, woes_enum_lt $lt10 -> $lt2k"
    # One allocation or lookup per call would add >= 1990 (2000 - 10 rows);
    # a difference of a few is incidental work of the backend during the
    # query (invalidation messages, statistics, a timeout), also seen for int4.
    da=$((a2k - a10)) dl=$((l2k - l10))
    if [ "${da#-}" -le 5 ] && [ "${dl#-}" -le 5 ] && [ "$ct2k" -ge 2000 ] && [ "$lt2k" -ge 2000 ]; then
        echo "   VERDICT: no allocation and no catalog lookup per call: 1990 more rows (x 10 woes calls"
        echo "            per row) changed the allocations by $da and the catalog lookups by $dl; the per-query"
        echo "            constant is executor start-up and the end marker, as for the int4 query"
    else
        echo "   VERDICT: FAILED - the counts grow with the rows (or the functions did not run)"
    fi
    ;;
static)
    command -v gdb >/dev/null || { echo "   (gdb is not installed: apt-get install gdb)"; exit 0; }
    so=$("${PG_CONFIG:-pg_config}" --pkglibdir)/woes.so
    for f in woes_enum_eq woes_enum_ne woes_enum_lt woes_enum_le woes_enum_gt woes_enum_ge woes_enum_cmp \
             woes_enum_hash woes_enum_hash_extended woes_can_transition; do
        dis=$(gdb -batch -ex "disassemble $f" "$so" 2>/dev/null | grep -E '^ +0x')
        n=$(echo "$dis" | wc -l)
        calls=$(echo "$dis" | grep -Eo '(call|jmp) +[^ ]+ <[^>+]+(@plt)?>' | grep -Eo '<[^>]+>' | grep -v "<$f" | sort -u | tr '\n' ' ' || true)
        printf '   %-24s %3d instructions; calls: %s\n' "$f" "$n" "${calls:-none}"
    done
    ;;
*)
    echo "usage: gdbcount.sh start|wait LABEL | report LABEL... | static" >&2
    exit 2
    ;;
esac

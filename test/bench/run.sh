#!/usr/bin/env bash
# woes benchmark: the cost of row-level security and the scale of the inbox.
#
#   test/bench/run.sh            full run (about 13 minutes on 2 cores)
#   test/bench/run.sh --quick    smoke run (about 1.5 minutes, small data)
#   test/bench/run.sh --install  run "make install" in the repository first
#
# PostgreSQL major: test/pg-major (WOES_PG when set, else the one of the
# machine's Debian release); its pg_config, psql and pgbench are used.  It
# starts its own throwaway cluster with test/throwaway (pg_virtualenv -t in
# private namespaces: its own loopback and port, dropped at exit), so it
# never touches another cluster.  The cluster's directory is on disk, under
# WOES_BENCH_DIR (default /var/tmp), not in test/throwaway's private tmpfs
# /tmp: the large set needs several GB, and fsync is on.  woes must be installed for
# that major already (make install PG_CONFIG=...), or pass --install.
# Everything is printed to stdout (tee it to keep it); the scratch files
# are deleted at exit.
#
# What it does:
#   1. generates a small data set (100 workspaces / 10,000 conversations) and
#      a large one (1,000 workspaces / 1,000,000 conversations) with
#      generate.sql, in two databases, and prints the generation times;
#   2. scale: the 50-row inbox page, RLS and baseline, small set against
#      large set, in alternating rounds, simple and prepared: for the
#      largest workspace and for random workspaces with >= 50 open
#      conversations;
#   3. RLS cost, on the large set: point lookup and inbox page under RLS
#      against the same transaction run by a BYPASSRLS role with the
#      workspace filter written out, in alternating rounds (base, rls, rls,
#      base, ...), in pgbench's simple and prepared protocols;
#   4. micro.sql: the same operations inside one backend, baseline and RLS
#      in alternating short batches (robust when other work shares the
#      machine), on both sets;
#   5. prints the plans (EXPLAIN ANALYZE, BUFFERS), how the inbox is planned
#      for every workspace, and a summary with the targets: RLS/baseline
#      >= 0.90, inbox 1M/10k <= 1.5, generation of 1M conversations < 10 min.
#
# pgbench runs with a fixed --random-seed: in prepared mode a statement's
# plan is made at its first run in a connection, under the workspace of that
# first transaction, and reused for every later one (see README.md).
#
# Settings (environment):
#   WOES_BENCH_SECONDS   seconds per pgbench round (default 4; quick 1)
#   WOES_BENCH_ROUNDS    rounds per variant of the RLS pairs (default 5; quick 2)
#   WOES_BENCH_SCALE_ROUNDS  rounds per cell of the scale test (default 3; quick 1)
#   WOES_BENCH_MICRO_BATCHES, WOES_BENCH_MICRO_ITERS  micro.sql batches per
#                        cell (default 40; quick 4) of operations (default 100; quick 50)
#   WOES_BENCH_CLIENTS   clients of the RLS pairs (default 2)
#   WOES_BENCH_MESSAGES  messages per conversation in the large set (default 3)
#   WOES_BENCH_LARGE     "workspaces conversations" of the large set
#                        (default "1000 1000000"; quick "100 100000")
#   WOES_BENCH_SMALL     "workspaces conversations" of the small set
#                        (default "100 10000")
#   WOES_BENCH_DIR       where the cluster's directory goes (default /var/tmp)
#   WOES_PG              the PostgreSQL major (default: test/pg-major)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/lib/result.sh"

quick=0
install=0
for arg in "$@"; do
    case $arg in
        --quick) quick=1 ;;
        --install) install=1 ;;
        -h|--help) sed -n '2,55p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "run.sh: unknown argument $arg (try --help)" >&2; exit 2 ;;
    esac
done

# ---------------------------------------------------------------------------
# Outside: set up, then re-run this script inside a throwaway cluster.
# ---------------------------------------------------------------------------
if [ -z "${WOES_BENCH_INSIDE:-}" ]; then
    major=$("$REPO/test/pg-major")
    export WOES_PG=$major   # test/throwaway asks test/pg-major again
    PG_CONFIG=/usr/lib/postgresql/$major/bin/pg_config
    for cmd in pg_config psql pgbench; do
        [ -x "/usr/lib/postgresql/$major/bin/$cmd" ] || {
            echo "run.sh: /usr/lib/postgresql/$major/bin/$cmd not found (apt-get install postgresql-$major)" >&2; exit 1; }
    done
    command -v pg_virtualenv >/dev/null || { echo "run.sh: pg_virtualenv not found (apt-get install postgresql-common)" >&2; exit 1; }
    if [ $install = 1 ]; then
        echo "== make install (PostgreSQL $major)"
        make -s -C "$REPO" PG_CONFIG="$PG_CONFIG" install >/dev/null
    fi
    if [ ! -f "$("$PG_CONFIG" --sharedir)/extension/woes.control" ]; then
        echo "run.sh: woes is not installed for PostgreSQL $major; run make install PG_CONFIG=$PG_CONFIG (or run.sh --install)" >&2
        exit 1
    fi
    if [ ! -f "$("$PG_CONFIG" --pkglibdir)/pg_prewarm.so" ]; then
        echo "run.sh: pg_prewarm is missing (apt-get install postgresql-$major)" >&2
        exit 1
    fi
    # pg_virtualenv -t makes the cluster's directory in $TMPDIR.  In its
    # private namespaces (root, as test/throwaway decides) /tmp is a tmpfs:
    # memory, too small for the large set and its WAL, where fsync costs
    # nothing.  So the cluster goes on disk.  (Without namespaces /tmp is
    # the machine's own, and TMPDIR stays: test/throwaway keeps its port
    # locks there, shared with the other runs.)
    if [ "$(id -u)" = 0 ] && unshare --net --pid --fork --mount true 2>/dev/null; then
        export TMPDIR=${WOES_BENCH_DIR:-/var/tmp}
        mkdir -p "$TMPDIR"
    fi
    export WOES_BENCH_INSIDE=1
    # fsync stays on (pg_virtualenv turns it off), so generation times are
    # honest.  shared_buffers holds the large set, so the runs measure CPU,
    # not the disk.
    exec "$REPO/test/throwaway" \
        -o "fsync=on" -o "shared_buffers=2GB" -o "max_wal_size=8GB" \
        -o "checkpoint_timeout=30min" -o "max_connections=50" \
        -o "jit=off" -o "autovacuum=off" \
        "$HERE/$(basename "$0")" "$@"
fi

# ---------------------------------------------------------------------------
# Inside the throwaway cluster (PGHOST, PGPORT, PGUSER, PGPASSWORD are set).
# ---------------------------------------------------------------------------
# the cluster's major's psql, pgbench and pg_config first
PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
if [ $quick = 1 ]; then
    SECONDS_PER_ROUND=${WOES_BENCH_SECONDS:-1}
    ROUNDS=${WOES_BENCH_ROUNDS:-2}
    SCALE_ROUNDS=${WOES_BENCH_SCALE_ROUNDS:-1}
    MICRO_BATCHES=${WOES_BENCH_MICRO_BATCHES:-4}
    MICRO_ITERS=${WOES_BENCH_MICRO_ITERS:-50}
    read -r LARGE_WS LARGE_CONV <<<"${WOES_BENCH_LARGE:-100 100000}"
    MESSAGES=${WOES_BENCH_MESSAGES:-0}
else
    SECONDS_PER_ROUND=${WOES_BENCH_SECONDS:-4}
    ROUNDS=${WOES_BENCH_ROUNDS:-5}
    SCALE_ROUNDS=${WOES_BENCH_SCALE_ROUNDS:-3}
    MICRO_BATCHES=${WOES_BENCH_MICRO_BATCHES:-40}
    read -r LARGE_WS LARGE_CONV <<<"${WOES_BENCH_LARGE:-1000 1000000}"
    MESSAGES=${WOES_BENCH_MESSAGES:-3}
fi
read -r SMALL_WS SMALL_CONV <<<"${WOES_BENCH_SMALL:-100 10000}"
CLIENTS=${WOES_BENCH_CLIENTS:-2}
MICRO_ITERS=${MICRO_ITERS:-${WOES_BENCH_MICRO_ITERS:-100}}
RESULTS=$(mktemp -d)
trap 'rm -rf "$RESULTS"' EXIT

PSQL=(psql -X -q -v ON_ERROR_STOP=1)

echo "== woes benchmark, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(free -g | awk '/^Mem:/ {print $2}') GB RAM"
echo "   $(psql -XAtc 'SELECT version()' | cut -d, -f1); cluster on port $PGPORT"
echo "   woes $(psql -XAtc "SELECT default_version FROM pg_available_extensions WHERE name = 'woes'")"
echo "   git $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || echo ' (src modified)')"
echo "   rounds of ${SECONDS_PER_ROUND}s: $ROUNDS per variant (RLS pairs), $SCALE_ROUNDS per cell (scale); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"

make_db () {  # name workspaces conversations messages
    "${PSQL[@]}" -c "CREATE DATABASE $1"
    "${PSQL[@]}" -d "$1" -c "CREATE EXTENSION woes" -c "CREATE EXTENSION pg_prewarm"
    # The two benchmark roles: the same membership, one bypasses RLS.  The
    # operators of woes' types (status = 'open') live in schema woes, hence
    # the search_path.
    "${PSQL[@]}" -d "$1" <<SQL
SELECT NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'bench_rls') AS need_roles \\gset
\\if :need_roles
CREATE ROLE bench_rls LOGIN NOBYPASSRLS PASSWORD '$PGPASSWORD' IN ROLE woes_service;
CREATE ROLE bench_base LOGIN BYPASSRLS PASSWORD '$PGPASSWORD' IN ROLE woes_service;
ALTER ROLE bench_rls SET search_path = "\$user", public, woes;
ALTER ROLE bench_base SET search_path = "\$user", public, woes;
\\endif
SQL
    local start end
    start=$(date +%s.%N)
    "${PSQL[@]}" -d "$1" -v workspaces="$2" -v conversations="$3" -v messages="$4" \
        -f "$HERE/generate.sql" | sed 's/^/   /'
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }' >"$RESULTS/gen_$1"
    echo "   generated in $(cat "$RESULTS/gen_$1") s"
    # everything in shared_buffers: the runs measure CPU, not the first reads
    "${PSQL[@]}" -d "$1" -Atc "SELECT sum(pg_prewarm(c.oid)) FROM pg_class c
        WHERE c.relnamespace IN ('woes'::regnamespace, 'bench'::regnamespace)
          AND c.relkind IN ('r', 'i')" >/dev/null
}

meta () {  # db key
    psql -XAtd "$1" -c "SELECT value FROM bench.meta WHERE key = '$2'"
}

echo
echo "== generate small set: $SMALL_WS workspaces, $SMALL_CONV conversations, 3 messages each"
make_db bench_small "$SMALL_WS" "$SMALL_CONV" 3
echo "== generate large set: $LARGE_WS workspaces, $LARGE_CONV conversations, $MESSAGES messages each"
make_db bench_large "$LARGE_WS" "$LARGE_CONV" "$MESSAGES"

# Sanity: RLS really applies to bench_rls and not to bench_base, and both
# variants return the same rows.
check () {
    local db=$1 ws out a b pair
    ws=$(meta "$db" largest_ws)
    out=$(PGUSER=bench_rls psql -qXAt -d "$db" -v ON_ERROR_STOP=1 <<SQL
SELECT count(*) FROM woes.conversations;
BEGIN;
SELECT woes.set_context('$ws', 'operator') \\g /dev/null
SELECT count(*) FROM woes.conversations;
COMMIT;
SQL
)
    if [ "$out" != "$(printf '0\n%s' "$(meta "$db" largest_ws_conversations)")" ]; then
        echo "run.sh: RLS check failed on $db (bench_rls saw: $out)" >&2; exit 1
    fi
    out=$(PGUSER=bench_base psql -XAtd "$db" -c "SELECT count(*) FROM woes.conversations")
    [ "$out" = "$(meta "$db" conversations)" ] || { echo "run.sh: bench_base does not bypass RLS on $db" >&2; exit 1; }
    for pair in point inbox; do
        # the scripts with n = 1 (the first sample id, the largest workspace)
        a=$(PGUSER=bench_rls psql -qXAtd "$db" -v ON_ERROR_STOP=1 -f <(sed -e 's/:n\b/1/g; /^\\set/d' "$HERE/${pair}_rls.sql"))
        b=$(PGUSER=bench_base psql -qXAtd "$db" -v ON_ERROR_STOP=1 -f <(sed -e 's/:n\b/1/g; /^\\set/d' "$HERE/${pair}_base.sql"))
        if [ "$a" != "$b" ] || [ "$(echo "$a" | grep -c .)" -lt 1 ]; then
            echo "run.sh: ${pair}_rls and ${pair}_base do not return the same rows on $db" >&2; exit 1
        fi
    done
}
check bench_small
check bench_large
echo "== checks: RLS applies to bench_rls, not to bench_base; each pair returns the same rows"

# Server CPU per transaction: the CPU time of the backends, read from the
# postmaster's children's times (/proc/<pid>/stat cutime + cstime, counted
# when a backend exits).  Unlike TPS it hardly moves when other work shares
# the machine, so the RLS ratio is reported both ways.
PGDATA_DIR=$(psql -XAtc 'SHOW data_directory')
POSTMASTER=$(head -1 "$PGDATA_DIR/postmaster.pid")
HZ=$(getconf CLK_TCK)
child_ticks () {
    awk '{ print $16 + $17 }' "/proc/$POSTMASTER/stat"
}
wait_backends_gone () {
    local i
    for i in $(seq 1 100); do
        pgrep -P "$POSTMASTER" -f ': bench_(rls|base) ' >/dev/null || break
        sleep 0.05
    done
    sleep 0.2   # let the postmaster reap them
}

# One pgbench round; appends "tps statement_ms cpu_ticks transactions" to
# $RESULTS/<tag>.  The statement is the 3rd SQL command of every script
# (after BEGIN and set_context).
round () {  # tag db user script mode clients defines...
    local tag=$1 db=$2 user=$3 script=$4 mode=$5 clients=$6 out t0 t1
    shift 6
    wait_backends_gone
    t0=$(child_ticks)
    out=$(PGUSER=$user pgbench -n -r --random-seed=20261124 -c "$clients" -j "$clients" -T "$SECONDS_PER_ROUND" -M "$mode" \
              "$@" -f "$HERE/$script" "$db" 2>&1) || { echo "$out" >&2; exit 1; }
    wait_backends_gone
    t1=$(child_ticks)
    if echo "$out" | grep -q 'number of failed transactions: [1-9]'; then
        echo "$out" >&2; echo "run.sh: pgbench reported failed transactions" >&2; exit 1
    fi
    echo "$out" | awk -v ticks=$((t1 - t0)) '
        /^tps = / { tps = $3 }
        /^number of transactions actually processed:/ { n = $NF }
        /statement latencies/ { inlat = 1; k = 0; next }
        inlat && $3 ~ /^(BEGIN|SELECT|COMMIT)/ { k++; if (k == 3) lat = $1 }
        END { print tps, lat, ticks, n }' >>"$RESULTS/$tag"
}

# "mean_tps mean_statement_ms cpu_us_per_transaction" of a tag
stats () {
    awk -v hz="$HZ" '{ t += $1; l += $2; c += $3; n += $4; r++ }
        END { printf "%.1f %.3f %.1f", t / r, l / r, c * 1e6 / hz / n }' "$RESULTS/$1"
}

echo
echo "== scale: inbox page, small set against large set, 1 client, $SCALE_ROUNDS x ${SECONDS_PER_ROUND}s rounds per cell"
echo "   in alternating order; largest workspace: bench.inbox_ws n = 1; random: any workspace with >= 50 open"
echo "   (simple: planned for each workspace; prepared: planned once per connection, for its first workspace)"
declare -A NINBOX_OF=([bench_small]=$(meta bench_small ninbox) [bench_large]=$(meta bench_large ninbox))
for r in $(seq 1 "$SCALE_ROUNDS"); do
    dbs="bench_small bench_large"; vs="rls base"
    [ $((r % 2)) = 0 ] && { dbs="bench_large bench_small"; vs="base rls"; }
    for mode in simple prepared; do
        for db in $dbs; do
            for v in $vs; do
                round "scale_top_${mode}_${v}_$db" "$db" "bench_$v" "inbox_$v.sql" $mode 1 -D ninbox=1
                round "scale_any_${mode}_${v}_$db" "$db" "bench_$v" "inbox_$v.sql" $mode 1 -D ninbox="${NINBOX_OF[$db]}"
            done
        done
    done
done
printf '   %-23s %-9s %-5s %21s %21s %11s %10s\n' "" "" "" "small: page ms cpu us" "large: page ms cpu us" "page ratio" "cpu ratio"
for which in top any; do
    for mode in simple prepared; do
        for v in rls base; do
            read -r _ sl sc <<<"$(stats "scale_${which}_${mode}_${v}_bench_small")"
            read -r _ ll lc <<<"$(stats "scale_${which}_${mode}_${v}_bench_large")"
            label="largest workspace"
            [ $which = any ] && label="random inbox workspace"
            awk -v sl="$sl" -v sc="$sc" -v ll="$ll" -v lc="$lc" -v label="$label" -v v="$v" -v m="$mode" 'BEGIN {
                printf "   %-23s %-9s %-5s %14.3f %6.0f %14.3f %6.0f %11.2f %10.2f\n", label, m, v, sl, sc, ll, lc, ll / sl, lc / sc
                printf "%s, %s, %s|%.2f|%.2f\n", label, m, v, ll / sl, lc / sc >>"/dev/stderr" }' 2>>"$RESULTS/summary_scale"
        done
    done
done

echo
echo "== RLS cost on the large set: $CLIENTS clients, $ROUNDS x ${SECONDS_PER_ROUND}s rounds per variant (base, rls, rls, base, ...)"
NIDS=$(meta bench_large nids)
NINBOX=$(meta bench_large ninbox)
echo "   (tps ratio: of the mean TPS; median: of the rounds' ratios; cpu ratio: base/rls server CPU per transaction)"
printf '   %-15s %26s %26s %9s %9s %9s  %s\n' "" "base:  tps  stmt ms cpu us" "rls:  tps  stmt ms cpu us" "tps ratio" "median" "cpu ratio" "ratios of each round"
for mode in simple prepared; do
    for pair in point inbox; do
        for r in $(seq 1 "$ROUNDS"); do
            if [ $((r % 2)) = 1 ]; then order="base rls"; else order="rls base"; fi
            for v in $order; do
                round "${pair}_${mode}_$v" bench_large "bench_$v" "${pair}_$v.sql" "$mode" "$CLIENTS" \
                    -D nids="$NIDS" -D ninbox="$NINBOX"
            done
        done
        read -r bt bl bc <<<"$(stats "${pair}_${mode}_base")"
        read -r rt rl rc <<<"$(stats "${pair}_${mode}_rls")"
        # rounds r of base and rls ran back to back: their ratio is the
        # least disturbed by other work on the machine; the median of them
        # is the headline figure
        per_round=$(paste -d' ' "$RESULTS/${pair}_${mode}_base" "$RESULTS/${pair}_${mode}_rls" |
                    awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $5 / $1 }')
        median=$(echo "$per_round" | tr ' ' '\n' | sort -n |
                 awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')
        awk -v m="$mode" -v p="$pair" -v bt="$bt" -v bl="$bl" -v bc="$bc" -v rt="$rt" -v rl="$rl" -v rc="$rc" \
            -v pr="$per_round" -v med="$median" 'BEGIN {
            printf "   %-5s %-9s %9.1f %8.3f %6.0f %9.1f %8.3f %6.0f %9.3f %9.3f %9.3f  %s\n",
                p, m, bt, bl, bc, rt, rl, rc, rt / bt, med, bc / rc, pr
            printf "%s %s|%.3f|%.3f|%.3f\n", p, m, med, rt / bt, bc / rc >>"/dev/stderr" }' 2>>"$RESULTS/summary_rls"
    done
done

echo
echo "== micro-benchmark (micro.sql): inside one backend, $MICRO_BATCHES batches of $MICRO_ITERS operations per cell,"
echo "   base and rls batches alternating (SET ROLE); us per operation (set_context + statement)"
printf '   %-10s %-9s %-8s %22s %22s %15s\n' "" "" "" "base: min  median" "rls: min  median" "median ratio"
for db in bench_small bench_large; do
    "${PSQL[@]}" -d "$db" -v batches="$MICRO_BATCHES" -v iters="$MICRO_ITERS" -f "$HERE/micro.sql" >"$RESULTS/micro_${db#bench_}"
    awk -v db="${db#bench_}" '{ printf "   %-10s %-9s %-8s %12.1f %9.1f %12.1f %9.1f %15.3f\n", $1, $2, db, $3, $4, $5, $6, $7 }' "$RESULTS/micro_${db#bench_}"
done

# EXPLAIN of the inbox page as each role, for one workspace of the inbox set
plan () {  # db role inbox_n
    local db=$1 v=$2 n=$3 ws filter=""
    ws=$(psql -XAtd "$db" -c "SELECT workspace_id FROM bench.inbox_ws WHERE n = $n")
    [ "$v" = base ] && filter="workspace_id = woes.current_workspace() AND "
    echo "-- $db, bench_$v, workspace inbox_ws n = $n ($(psql -XAtd "$db" -c "SELECT format('%s conversations, %s open', conversations, open_conversations) FROM bench.inbox_ws WHERE n = $n")):"
    PGUSER=bench_$v psql -XAtd "$db" -v ON_ERROR_STOP=1 <<SQL | sed -e '/^$/d' -e '/^BEGIN$/d' -e '/^COMMIT$/d' -e 's/^/   /'
BEGIN;
SELECT woes.set_context('$ws', 'operator') \\g /dev/null
SELECT id FROM woes.conversations WHERE ${filter}status = 'open' ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50 \\g /dev/null
EXPLAIN (ANALYZE, BUFFERS, COSTS, TIMING OFF, SUMMARY OFF)
SELECT id, number, channel, status, control, contact_id, assignee_id, team_id, subject, last_message_at, waiting_since
  FROM woes.conversations WHERE ${filter}status = 'open' ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50;
COMMIT;
SQL
}
echo
echo "== plans of the inbox page (EXPLAIN ANALYZE, BUFFERS)"
plan bench_small rls 1
plan bench_large rls 1
mid=$(( (NINBOX + 1) / 2 ))
plan bench_large rls "$mid"
plan bench_large base "$mid"
echo
echo "== how the inbox is planned for every workspace of bench.inbox_ws (large set)"
for v in rls base; do
    filter=""
    [ "$v" = base ] && filter="workspace_id = woes.current_workspace() AND "
    PGUSER=bench_$v psql -qXAtd bench_large -v ON_ERROR_STOP=1 <<SQL | sed -e '/^$/d' -e 's/^/   /'
CREATE TEMP TABLE shapes (n int, plan text, ms float8);
DO \$\$
DECLARE
    i record;
    p json;
BEGIN
    FOR i IN SELECT n, workspace_id FROM bench.inbox_ws ORDER BY n LOOP
        PERFORM woes.set_context(i.workspace_id, 'operator');
        EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) SELECT id, number, channel, status, control, contact_id, '
                'assignee_id, team_id, subject, last_message_at, waiting_since FROM woes.conversations '
                'WHERE ${filter}status = ''open'' ORDER BY last_message_at DESC NULLS LAST, id DESC LIMIT 50'
           INTO p;
        INSERT INTO shapes VALUES (i.n, p->0->'Plan'->'Plans'->0->>'Node Type', (p->0->>'Execution Time')::float8);
    END LOOP;
END;
\$\$;
SELECT format('bench_%s: %s x %s, open conversations %s..%s, execution %s ms on average (max %s)',
              '$v', count(*), rpad(plan, 10), min(w.open_conversations), max(w.open_conversations),
              round(avg(ms)::numeric, 3), round(max(ms)::numeric, 3))
  FROM shapes s JOIN bench.inbox_ws w USING (n) GROUP BY plan ORDER BY plan;
SQL
done

echo
echo "== summary"
gen_large=$(cat "$RESULTS/gen_bench_large")
gen_small=$(cat "$RESULTS/gen_bench_small")
awk -v g="$gen_large" -v s="$gen_small" -v lw="$LARGE_WS" -v lc="$LARGE_CONV" -v m="$MESSAGES" 'BEGIN {
    printf "   generation: %s workspaces / %s conversations (+%s messages each) in %.1f s = %.1f min (target < 10 min: %s); small set in %.1f s\n",
        lw, lc, m, g, g / 60, (g < 600 ? "met" : "MISSED"), s }'
awk -F'|' '{
    printf "   pgbench RLS/base, %-15s TPS ratio %.3f, median of rounds (target >= 0.90: %s); of the means %.3f; server CPU %.3f\n", $1 ":", $2, ($2 >= 0.90 ? "met" : "MISSED"), $3, $4 }' "$RESULTS/summary_rls"
awk '{
    printf "   micro   base/rls, %-19s cost ratio %.3f, median of batches (target >= 0.90: %s); %.1f us against %.1f us per operation (medians)\n", $1 " " $2 ":", $7, ($7 >= 0.90 ? "met" : "MISSED"), $4, $6 }' "$RESULTS/micro_large"
awk '{ print $1, $2, $6 }' "$RESULTS/micro_small" | while read -r k m small; do
    large=$(awk -v k="$k" -v m="$m" '$1 == k && $2 == m { print $6 }' "$RESULTS/micro_large")
    base_small=$(awk -v k="$k" -v m="$m" '$1 == k && $2 == m { print $4 }' "$RESULTS/micro_small")
    base_large=$(awk -v k="$k" -v m="$m" '$1 == k && $2 == m { print $4 }' "$RESULTS/micro_large")
    [ "$k" = point ] && continue
    awk -v k="$k" -v m="$m" -v s="$small" -v l="$large" -v bs="$base_small" -v bl="$base_large" 'BEGIN {
        printf "   micro   inbox large/small, %-19s rls %.1f / %.1f us = %.2f (target <= 1.5: %s); base %.1f / %.1f us = %.2f\n",
            k " " m ":", l, s, l / s, (l / s <= 1.5 ? "met" : "MISSED"), bl, bs, bl / bs }'
done
awk -F'|' '{
    printf "   pgbench inbox large/small, %-39s page latency ratio %.2f (target <= 1.5: %s); server CPU ratio %.2f\n", $1 ":", $2, ($2 <= 1.5 ? "met" : "MISSED"), $3 }' "$RESULTS/summary_scale"
echo "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores (other work on the machine makes TPS noisier; CPU per transaction much less so)"

# The results for test/bench/run-all (lib/result.sh), with the goals of the
# performance issue: RLS/baseline >= 0.90 for the pairs; the inbox page of
# the large set at most 1.2 times that of the small set (the summary above
# says 1.5, the target this benchmark was written for); the largest
# workspace's page with a plan cached for a small one (micro.sql
# top_after_small) at most 1.5 times its page with a fresh plan (inbox_top).
echo
echo "== results"
size_label () {  # conversations: 1M, 100k, 10k, ...
    awk -v n="$1" 'BEGIN { if (n >= 1e6 && n % 1e6 == 0) printf "%dM", n / 1e6
                           else if (n >= 1e3 && n % 1e3 == 0) printf "%dk", n / 1e3
                           else printf "%d", n }'
}
while IFS='|' read -r label median _; do
    read -r pair mode <<<"$label"
    [ "$pair" = point ] && what="point lookup" || what="inbox page"
    bench_result "reads under RLS: $what, $mode" "BYPASSRLS role, workspace filter written out" "$median" ">=0.90"
done <"$RESULTS/summary_rls"
sizes="$(size_label "$LARGE_CONV")/$(size_label "$SMALL_CONV")"
# The random-workspace cells compare working sets, not only sizes: the small
# set has a few full inboxes (2 at 10k), the large one hundreds (208 at 1M),
# whose pages are 50 heap pages each, scattered as in a real table, so at 1M
# a random page runs in cold CPU caches, for the bare query as much as for
# RLS.  So each cell also shows the bare query's own large/small ratio (the
# BYPASSRLS baseline, for information) and RLS's ratio over it: what woes
# adds to the growth, which is what woes can be held to (<= 1.2 as well).
while IFS='|' read -r label ratio _; do
    case $label in *", rls") ;; *) continue ;; esac
    bench_result "inbox page $sizes, ${label%, rls}, RLS" "the same page at $(size_label "$SMALL_CONV")" "$ratio" "<=1.2"
    case $label in *"random inbox workspace"*) ;; *) continue ;; esac
    base_ratio=$(awk -F'|' -v l="${label%, rls}, base" '$1 == l { print $2 }' "$RESULTS/summary_scale")
    bench_result "inbox page $sizes, ${label%, rls}, bare query (BYPASSRLS, filter written out)" \
        "the same page at $(size_label "$SMALL_CONV")" "$base_ratio" "-"
    bench_result "inbox page $sizes, ${label%, rls}, RLS's growth over the bare query's" \
        "the bare query's $sizes" "$(bench_ratio "$ratio" "$base_ratio")" "<=1.2"
done <"$RESULTS/summary_scale"
bench_result "inbox page of the largest workspace, plan cached for a small one, prepared, RLS" \
    "a fresh plan (micro.sql inbox_top)" \
    "$(bench_ratio "$(awk '$1 == "top_after_small" && $2 == "prepared" { print $6 }' "$RESULTS/micro_large")" \
                   "$(awk '$1 == "inbox_top" && $2 == "prepared" { print $6 }' "$RESULTS/micro_large")")" "<=1.5"
bench_result "a small workspace's per-status counts, plan cached for the largest, prepared, RLS" \
    "a fresh plan (micro.sql counts_after_top, simple)" \
    "$(bench_ratio "$(awk '$1 == "counts_after_top" && $2 == "prepared" { print $6 }' "$RESULTS/micro_large")" \
                   "$(awk '$1 == "counts_after_top" && $2 == "simple" { print $6 }' "$RESULTS/micro_large")")" "<=1.5"

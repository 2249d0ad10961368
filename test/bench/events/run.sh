#!/usr/bin/env bash
# Outbox consumer benchmark of woes (issue 5, "Performance").  One command:
#
#   test/bench/events/run.sh
#
# It makes its own throwaway PostgreSQL cluster (test/throwaway: pg_virtualenv
# -t in private namespaces; dropped on exit) of the major test/pg-major
# names (WOES_PG when set), creates the installed extension, fills
# woes.events with EVENTS events of one workspace (plus OTHER_EVENTS of a
# second workspace, interleaved, so the workspace filter has work to do),
# written directly as the superuser (triggers off), and runs pgbench pairs,
# a random cursor per transaction, a page of PAGE events each:
#
#   events_since   SELECT * FROM woes.events_since(:cursor, PAGE)
#                  as a LOGIN role bound (woes.bind_role) to the operator
#                  audience of the workspace (not a member of woes_service:
#                  bind_role refuses those), granted only what reading the
#                  outbox takes: the session has
#                  its context by default, one statement per page, RLS on;
#   plain          SELECT * FROM woes.events WHERE workspace_id = :ws
#                    AND id > :cursor ORDER BY id LIMIT PAGE
#                  as the superuser (the table owner; no RLS, no horizon);
#   events_since_tx  BEGIN; SELECT woes.set_context(:ws, 'operator');
#                  SELECT * FROM woes.events_since(...); COMMIT;  as a LOGIN
#                  member of woes_service without a binding, as an
#                  application reads (for information)
#   plain_rls      the plain SELECT as the bound consumer, under RLS (no
#                  horizon): for information, it separates the cost of the
#                  policies' plan from the cost of events_since itself
#
# then the first two again with pages of SHORT_PAGE (10) events, as a
# consumer near the tail polls (for information: the per-call cost).
#
# in ROUNDS rounds (the order rotated each round), and prints the TPS of
# each, the server CPU per page, and the ratio events_since / plain
# (target >= 0.8).  Before measuring it checks that both queries return the
# same rows for a few cursors.
#
# Settings (environment):
#   DURATION=15  seconds per pgbench run (-T)     CLIENTS=2  (-c, -j)
#   ROUNDS=2     EVENTS=200000   OTHER_EVENTS=50000   PAGE=1000
#   WHATIF=1     afterwards, in the throwaway cluster only, replace the
#                events_read policy by USING (true) (the same rows for the
#                bound operator consumer, but a qual the planner estimates
#                right) and run plain / events_since once more: the headroom
#                a correctly estimated audience policy would give (README)
#   WOES_PG      the PostgreSQL major (default: test/pg-major)
# Everything is printed to stdout; the scratch files (in the cluster's
# private /tmp) are deleted at exit.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../.." && pwd)
# shellcheck source=test/bench/lib/result.sh
. "$HERE/../lib/result.sh"

if [ -z "${WOES_EV_INNER:-}" ]; then
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
    export WOES_EV_INNER=1
    exec "$REPO/test/throwaway" -o "max_parallel_workers_per_gather=0" -o "jit=off" \
        -o "shared_buffers=256MB" "$HERE/$(basename "$0")" "$@"
fi

# ---- inside the throwaway cluster ------------------------------------------
# the cluster's major's psql, pgbench and pg_config first
PATH="$(dirname "${PG_CONFIG:?}"):$PATH"
DURATION=${DURATION:-15}
CLIENTS=${CLIENTS:-2}
ROUNDS=${ROUNDS:-2}
EVENTS=${EVENTS:-200000}
OTHER_EVENTS=${OTHER_EVENTS:-50000}
PAGE=${PAGE:-1000}
SHORT_PAGE=${SHORT_PAGE:-10}
OUT=$(mktemp -d -t woes_ev.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

psql_() { psql -X -v ON_ERROR_STOP=1 -q "$@"; }

echo "== woes outbox consumer benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "   $(psql_ -Atc 'select version()' | cut -d, -f1)"
echo "   fsync=$(psql_ -Atc 'show fsync') shared_buffers=$(psql_ -Atc 'show shared_buffers') cores=$(nproc)" \
     "woes.so $(md5sum "$(pg_config --pkglibdir)/woes.so" | cut -c1-12)"
if git -C "$HERE" rev-parse --short HEAD >/dev/null 2>&1; then
    echo "   source tree: $(git -C "$HERE" rev-parse --short HEAD)$(git -C "$HERE" diff --quiet HEAD -- :/src 2>/dev/null || echo ' (src modified)')"
fi

echo "== setup: $EVENTS events of one workspace, $OTHER_EVENTS of another, interleaved"
t0=$(date +%s)
APP_PASSWORD=$(head -c 12 /dev/urandom | md5sum | cut -c1-20)
psql_ -v events="$EVENTS" -v other="$OTHER_EVENTS" -v pw="$APP_PASSWORD" <<'SQL'
CREATE EXTENSION woes;
SELECT woes.create_workspace('bench-events', 'Bench events') AS ws \gset
SELECT woes.create_workspace('bench-other', 'Bench other') AS other_ws \gset
-- the events, written directly (no context, no triggers): ids 1..total; of
-- every (events + other) / other ids, one is the other workspace's
SET session_replication_role = replica;
INSERT INTO woes.events (workspace_id, id, kind, conversation_id, payload, created_at)
SELECT CASE WHEN :other > 0 AND g % ((:events + :other) / :other) = 0 THEN :'other_ws'::uuid ELSE :'ws'::uuid END,
       g,
       (ARRAY['message.created', 'message.created', 'conversation.status_changed', 'handoff.requested'])[1 + g % 4],
       ('00000000-0000-7000-8000-' || lpad(to_hex(g % 5000), 12, '0'))::uuid,
       jsonb_build_object('message_id', woes.uuid_generate_v7(), 'author_kind', 'customer', 'visibility', 'public'),
       now() - interval '1 second' * (:events + :other - g)
  FROM generate_series(1, :events + :other) g;
RESET session_replication_role;
SELECT setval('woes.events_id_seq', (SELECT max(id) FROM woes.events));
VACUUM ANALYZE woes.events;
-- the consumer: a LOGIN role bound to the operator audience of the
-- workspace (its sessions have the context by default).  bind_role refuses
-- members of woes_service, so it gets only what reading the outbox takes.
CREATE ROLE bench_consumer LOGIN PASSWORD :'pw';
GRANT USAGE ON SCHEMA woes TO bench_consumer;
GRANT SELECT ON woes.events TO bench_consumer;
GRANT EXECUTE ON FUNCTION woes.events_since(bigint, integer) TO bench_consumer;
SELECT woes.bind_role('bench_consumer', :'ws', 'operator') \g /dev/null
-- the application: a LOGIN member of woes_service, no binding; it sets the
-- context in each transaction
CREATE ROLE bench_app LOGIN PASSWORD :'pw' IN ROLE woes_service;
SQL
WS=$(psql_ -Atc "select id from woes.workspaces where slug = 'bench-events'")
IN_WS=$(psql_ -Atc "select count(*) from woes.events where workspace_id = '$WS'")
# the largest cursor that still has a full page after it
CURSOR_MAX=$(psql_ -Atc "select id from woes.events where workspace_id = '$WS' order by id desc offset $PAGE limit 1")
echo "   loaded in $(( $(date +%s) - t0 )) s: $IN_WS events in the workspace, $(psql_ -Atc 'select count(*) from woes.events') in all;" \
     "cursor drawn from [0, $CURSOR_MAX]"

echo "== same rows: events_since (bound consumer) and the plain SELECT (owner), 5 cursors"
for c in 0 1234 $(( CURSOR_MAX / 2 )) $(( CURSOR_MAX - 7 )) "$CURSOR_MAX"; do
    a=$(PGUSER=bench_consumer PGPASSWORD=$APP_PASSWORD psql_ -Atc \
        "SELECT count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY e.id)) FROM woes.events_since($c, $PAGE) e")
    b=$(psql_ -Atc "SELECT count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY e.id)) FROM
                    (SELECT * FROM woes.events WHERE workspace_id = '$WS' AND id > $c ORDER BY id LIMIT $PAGE) e")
    if [ "$a" != "$b" ]; then
        echo "run.sh: cursor $c: events_since gave [$a], the plain SELECT [$b]" >&2
        exit 1
    fi
    echo "   cursor $c: ${a%% *} rows, identical"
done

# the pair of scripts for a page size: page_scripts SUFFIX PAGE
page_scripts() {
    printf '%s\n' "\\set c random(0, $CURSOR_MAX)" "SELECT * FROM woes.events_since(:c, $2);" \
        > "$OUT/events_since$1.pgbench"
    printf '%s\n' "\\set c random(0, $CURSOR_MAX)" \
        "SELECT * FROM woes.events WHERE workspace_id = '$WS' AND id > :c ORDER BY id LIMIT $2;" \
        > "$OUT/plain$1.pgbench"
}
page_scripts "" "$PAGE"
cp "$OUT/plain.pgbench" "$OUT/plain_rls.pgbench"
# short pages: a consumer polling near the tail gets a few events a time
page_scripts _short "$SHORT_PAGE"
cat > "$OUT/events_since_tx.pgbench" <<EOF
\set c random(0, $CURSOR_MAX)
BEGIN;
SELECT woes.set_context('$WS', 'operator');
SELECT * FROM woes.events_since(:c, $PAGE);
COMMIT;
EOF

echo "== plans: the plain SELECT as the owner, and as the bound consumer under RLS"
psql_ -c "EXPLAIN (ANALYZE, COSTS, TIMING OFF, SUMMARY OFF) SELECT * FROM woes.events WHERE workspace_id = '$WS' AND id > $(( CURSOR_MAX / 2 )) ORDER BY id LIMIT $PAGE"
PGUSER=bench_consumer PGPASSWORD=$APP_PASSWORD psql_ -c "EXPLAIN (ANALYZE, COSTS, TIMING OFF, SUMMARY OFF) SELECT * FROM woes.events WHERE workspace_id = '$WS' AND id > $(( CURSOR_MAX / 2 )) ORDER BY id LIMIT $PAGE"

# CPU time of the server processes of a run: backends are children of the
# postmaster; their user+system time is added to its cutime/cstime at exit.
PMPID=$(head -1 "$(psql_ -Atc 'show data_directory')/postmaster.pid")
TCK=$(getconf CLK_TCK)
children_cpu() { sed 's/.*) //' "/proc/$PMPID/stat" | awk '{ print $14 + $15 }'; }

declare -A TPS_SUM CPU_SUM LAST_TPS
run_pgbench() {	# variant
    local v=$1 user=$PGUSER pass=$PGPASSWORD out c0 c1 tps lat txns cpu
    case $v in
        events_since|events_since_short|plain_rls) user=bench_consumer pass=$APP_PASSWORD ;;
        events_since_tx) user=bench_app pass=$APP_PASSWORD ;;
    esac
    psql_ -c "CHECKPOINT"
    c0=$(children_cpu)
    if ! out=$(PGUSER=$user PGPASSWORD=$pass \
               pgbench -n -c "$CLIENTS" -j "$CLIENTS" -T "$DURATION" -M prepared -f "$OUT/$v.pgbench" 2>&1); then
        echo "$out" >&2
        echo "run.sh: pgbench $v failed" >&2
        exit 1
    fi
    sleep 2		# let the postmaster reap the backends (their CPU is counted then)
    c1=$(children_cpu)
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    lat=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
    txns=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    cpu=$(awk -v d=$((c1 - c0)) -v t="$TCK" -v n="$txns" 'BEGIN { printf "%.0f", d / t * 1e6 / n }')
    printf '   %-16s as %-14s tps %8.1f   latency %7.3f ms   server CPU %6d us/page   (%d pages)\n' \
           "$v" "$user" "$tps" "$lat" "$cpu" "$txns"
    TPS_SUM[$v]=$(awk -v a="${TPS_SUM[$v]:-0}" -v b="$tps" 'BEGIN { print a + b }')
    CPU_SUM[$v]=$(awk -v a="${CPU_SUM[$v]:-0}" -v b="$cpu" 'BEGIN { print a + b }')
    LAST_TPS[$v]=$tps
}

echo "== pgbench: -n -c $CLIENTS -j $CLIENTS -T $DURATION -M prepared, a random cursor, pages of $PAGE; $ROUNDS round(s)"
variants=(plain events_since events_since_tx plain_rls)
for r in $(seq 1 "$ROUNDS"); do
    echo "-- round $r"
    k=$(( (r - 1) % ${#variants[@]} ))
    for i in $(seq 0 $(( ${#variants[@]} - 1 ))); do
        run_pgbench "${variants[$(( (k + i) % ${#variants[@]} ))]}"
    done
    awk -v p="${LAST_TPS[plain]}" -v e="${LAST_TPS[events_since]}" -v t="${LAST_TPS[events_since_tx]}" \
        'BEGIN { printf "   round ratio: events_since/plain %.2f, events_since_tx/plain %.2f\n", e / p, t / p }'
done

echo "== result (mean over $ROUNDS round(s))"
awk -v p="${TPS_SUM[plain]}" -v e="${TPS_SUM[events_since]}" -v t="${TPS_SUM[events_since_tx]}" \
    -v r="${TPS_SUM[plain_rls]}" -v cr="${CPU_SUM[plain_rls]}" \
    -v cp="${CPU_SUM[plain]}" -v ce="${CPU_SUM[events_since]}" -v ct="${CPU_SUM[events_since_tx]}" \
    -v n="$ROUNDS" -v page="$PAGE" 'BEGIN {
        printf "   plain SELECT (owner)                   %8.1f tps  %9.0f events/s  %6.0f us server CPU/page\n", p / n, p / n * page, cp / n;
        printf "   events_since (bound consumer, RLS)     %8.1f tps  %9.0f events/s  %6.0f us server CPU/page\n", e / n, e / n * page, ce / n;
        printf "   events_since in BEGIN/set_context/COMMIT %6.1f tps  %9.0f events/s  %6.0f us server CPU/page\n", t / n, t / n * page, ct / n;
        printf "   plain SELECT under RLS (bound consumer) %7.1f tps  %9.0f events/s  %6.0f us server CPU/page\n", r / n, r / n * page, cr / n;
        printf "   RATIO events_since/plain = %.2f  (target >= 0.8: %s)\n", e / p, (e / p >= 0.8 ? "met" : "NOT met");
        printf "   ratio events_since_tx/plain = %.2f;  CPU ratio plain/events_since = %.2f\n", t / p, cp / ce;
    }'
# for test/bench/run-all (lib/result.sh)
bench_result "outbox page of $PAGE: woes.events_since (bound consumer, RLS)" "owner's SELECT ... WHERE id > cursor" \
    "$(bench_ratio "${TPS_SUM[events_since]}" "${TPS_SUM[plain]}")" ">=0.80"

echo "== short pages: $SHORT_PAGE events a page (a consumer near the tail), $ROUNDS round(s)"
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then short=(plain_short events_since_short); else short=(events_since_short plain_short); fi
    for v in "${short[@]}"; do run_pgbench "$v"; done
done
awk -v p="${TPS_SUM[plain_short]}" -v e="${TPS_SUM[events_since_short]}" \
    -v cp="${CPU_SUM[plain_short]}" -v ce="${CPU_SUM[events_since_short]}" -v n="$ROUNDS" 'BEGIN {
        printf "   plain SELECT (owner)                   %8.1f tps  %6.0f us server CPU/page\n", p / n, cp / n;
        printf "   events_since (bound consumer, RLS)     %8.1f tps  %6.0f us server CPU/page\n", e / n, ce / n;
        printf "   ratio events_since/plain = %.2f (for information)\n", e / p;
    }'
bench_result "outbox page of $SHORT_PAGE: woes.events_since (bound consumer, RLS)" "owner's SELECT ... WHERE id > cursor" \
    "$(bench_ratio "${TPS_SUM[events_since_short]}" "${TPS_SUM[plain_short]}")" "-"

if [ -n "${WHATIF:-}" ]; then
    echo "== what-if: events_read policy USING (true) (throwaway cluster only)"
    psql_ -c "ALTER POLICY events_read ON woes.events USING (true)"
    PGUSER=bench_consumer PGPASSWORD=$APP_PASSWORD psql_ -c "EXPLAIN (ANALYZE, COSTS, TIMING OFF, SUMMARY OFF) SELECT * FROM woes.events WHERE workspace_id = '$WS' AND id > $(( CURSOR_MAX / 2 )) ORDER BY id LIMIT $PAGE"
    unset TPS_SUM CPU_SUM
    declare -A TPS_SUM CPU_SUM
    run_pgbench plain
    run_pgbench events_since
    run_pgbench plain_rls
    awk -v p="${TPS_SUM[plain]}" -v e="${TPS_SUM[events_since]}" -v r="${TPS_SUM[plain_rls]}" \
        -v cp="${CPU_SUM[plain]}" -v ce="${CPU_SUM[events_since]}" \
        'BEGIN { printf "   what-if ratio events_since/plain = %.2f (CPU ratio %.2f); plain under RLS/plain = %.2f\n", e / p, cp / ce, r / p }'
fi

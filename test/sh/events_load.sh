#!/usr/bin/env bash
# The outbox cursor under concurrent load: no event missed, none twice.
#
# pgbench writers (a woes_service member, under RLS) write events for ~8 s:
# single notes, transactions that sleep between two writes (so commits come
# out of id order), status toggles, and transactions that roll back (so ids
# are skipped for good).  At the same time a consumer follows the cursor
# with woes.events_since(cursor, 50), a page per transaction, and records
# every id it is handed.  When the writers are done it drains; then the ids
# received must equal exactly the ids of the committed events: no gap, no
# duplicate, in increasing order.  For contrast the same consumer also runs
# a naive cursor (a plain "id > cursor ORDER BY id" on woes.events) and
# reports how many events that one would have missed (not asserted: it
# depends on timing).
#
# Runs against the cluster in PG* (pg_virtualenv in test/run); needs a
# superuser.  Exits non-zero on any miss, duplicate or disorder.
#
# WOES_LOAD_DB=DB: run in that database, where woes is installed already
# (the Citus suite: the coordinator's database, distributed), instead of a
# database of its own.
set -euo pipefail

db="${WOES_LOAD_DB:-woes_evload_$$}"
own_db=$([ -n "${WOES_LOAD_DB:-}" ] && echo false || echo true)
# roles are made where Citus (if any) sees them, and so reach the workers
role_db=$($own_db && echo postgres || echo "$db")
role="woes_evload_app"
secs=${WOES_LOAD_SECONDS:-8}
clients=${WOES_LOAD_CLIENTS:-3}
work="$(mktemp -d /tmp/woes_evload.XXXXXX)"
consumer_pid=""

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
    if [ -n "$consumer_pid" ] && kill -0 "$consumer_pid" 2>/dev/null; then
        kill "$consumer_pid" 2>/dev/null || true
        wait "$consumer_pid" 2>/dev/null || true
    fi
    if $own_db; then
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    else
        psql -X -q -d "$db" -c "DROP TABLE IF EXISTS load_cfg, received, received_naive, polls" \
            -c "DROP TABLE IF EXISTS consumer" -c "DROP FUNCTION IF EXISTS load_ctx(), load_conv(integer), poll()" \
            >/dev/null 2>&1 || true
    fi
    psql -X -q -d "$role_db" -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

if $own_db; then
    q -d postgres -c "CREATE DATABASE $db"
    q -d "$db" -c "CREATE EXTENSION woes"
fi
q -d "$role_db" -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE ROLE $role LOGIN IN ROLE woes_service"   # LOGIN: on Citus the workers are reached as it

echo "== setup: one workspace, an operator, four conversations"
q -d "$db" -v role="$role" <<'SQL'
-- what the writers and the consumer share: the workspace, the operator, the
-- consumer's stop flag
CREATE TABLE load_cfg (ws uuid NOT NULL, op uuid, stop boolean NOT NULL DEFAULT false);
-- every id the consumer was handed, in the order it got them
CREATE TABLE received (seq bigserial PRIMARY KEY, id bigint NOT NULL);
CREATE TABLE received_naive (seq bigserial PRIMARY KEY, id bigint NOT NULL);
-- one line per poll: the horizon, and the largest committed id it could see
CREATE TABLE polls (seq bigserial PRIMARY KEY, horizon bigint, visible_max bigint, got integer);
GRANT SELECT ON load_cfg TO :"role";
GRANT SELECT, INSERT ON received, received_naive, polls TO :"role";
GRANT USAGE ON SEQUENCE received_seq_seq, received_naive_seq_seq, polls_seq_seq TO :"role";

SELECT woes.create_workspace('load', 'Load test') AS load_ws \gset
INSERT INTO load_cfg (ws) VALUES (:'load_ws');

CREATE FUNCTION load_ctx() RETURNS void LANGUAGE sql AS $$
    SELECT woes.set_context((SELECT ws FROM load_cfg), 'operator', (SELECT op FROM load_cfg)) $$;
CREATE FUNCTION load_conv(n integer) RETURNS uuid LANGUAGE plpgsql STABLE AS $$
DECLARE
    w uuid := woes.current_workspace();    -- a value: on Citus, routed by it
    c uuid;
BEGIN
    SELECT id INTO c FROM woes.conversations WHERE workspace_id = w AND number = n;
    RETURN c;
END $$;

-- the consumer: one page per transaction, until told to stop and drained.
-- One call of poll() is one transaction, in an explicit transaction block
-- the client opens (on Citus that is what makes SET LOCAL of the context
-- reach the workers; a procedure's own COMMITs would not).
CREATE TABLE consumer (cur bigint NOT NULL, naive bigint NOT NULL);
INSERT INTO consumer VALUES (0, 0);
GRANT SELECT, UPDATE ON consumer TO :"role";
CREATE FUNCTION poll() RETURNS boolean
LANGUAGE plpgsql
AS $$
<<p>>
DECLARE
    cur bigint;
    naive bigint;
    stopping boolean;
    n integer := 0;
    h bigint;
    visible bigint;
    e record;
    w uuid;
BEGIN
    PERFORM load_ctx();
    w := woes.current_workspace();
    SELECT c.cur, c.naive INTO cur, naive FROM consumer c;
    -- the stop flag first: once it is seen, the writers are gone, so an
    -- empty page after it means everything was delivered
    SELECT stop INTO stopping FROM load_cfg;
    h := woes.event_horizon();
    FOR e IN SELECT id FROM woes.events_since(cur, 50) LOOP
        INSERT INTO received (id) VALUES (e.id);
        cur := e.id;
        n := n + 1;
    END LOOP;
    -- the naive cursor, for contrast
    FOR e IN SELECT id FROM woes.events WHERE workspace_id = w AND id > naive ORDER BY id LIMIT 50 LOOP
        INSERT INTO received_naive (id) VALUES (e.id);
        naive := e.id;
    END LOOP;
    SELECT max(id) INTO visible FROM woes.events WHERE workspace_id = w;
    INSERT INTO polls (horizon, visible_max, got) VALUES (h, visible, n);
    UPDATE consumer SET cur = p.cur, naive = p.naive;
    IF n = 0 AND NOT stopping THEN
        PERFORM pg_sleep(0.005);
    END IF;
    RETURN stopping AND n = 0;
END;
$$;

SET ROLE :"role";
BEGIN;
SELECT woes.set_context((SELECT ws FROM load_cfg), 'operator') \g /dev/null
SELECT woes.add_operator('Olga', 'olga@load.test') AS op \gset
SELECT woes.start_conversation(woes.upsert_contact('api', 'c' || i), 'api', 'load ' || i) FROM generate_series(1, 4) i \g /dev/null
COMMIT;
RESET ROLE;
UPDATE load_cfg SET op = :'op';
SQL

# writers: each transaction touches one conversation (no deadlocks)
cat > "$work/note.sql" <<'EOF'
\set c random(1, 4)
BEGIN;
SELECT load_ctx();
SELECT woes.add_note(load_conv(:c), 'load note');
COMMIT;
EOF
cat > "$work/slow.sql" <<'EOF'
\set c random(1, 4)
\set ms random(1, 40)
BEGIN;
SELECT load_ctx();
SELECT woes.add_note(load_conv(:c), 'first of two, then a pause');
\sleep :ms ms
SELECT woes.add_note(load_conv(:c), 'second of two');
COMMIT;
EOF
cat > "$work/toggle.sql" <<'EOF'
\set c random(1, 4)
\set ms random(0, 20)
BEGIN;
SELECT load_ctx();
SELECT woes.set_pending(load_conv(:c), 'load');
\sleep :ms ms
SELECT woes.reopen(load_conv(:c), 'load');
COMMIT;
EOF
cat > "$work/rollback.sql" <<'EOF'
\set c random(1, 4)
\set ms random(0, 30)
BEGIN;
SELECT load_ctx();
SELECT woes.add_note(load_conv(:c), 'never committed');
\sleep :ms ms
ROLLBACK;
EOF

echo "== consumer starts; $clients pgbench writers for ${secs}s"
# the consumer's transactions, one poll each, until poll() says it drained
printf 'BEGIN;\nSELECT poll() AS done \\gset\nCOMMIT;\n\\if :done\n\\q\n\\endif\n%.0s' $(seq 1 100000) \
    > "$work/consume.sql"
PGOPTIONS="-c role=$role" psql -X -q -v ON_ERROR_STOP=1 -d "$db" -f "$work/consume.sql" > "$work/consumer.log" 2>&1 &
consumer_pid=$!

PGOPTIONS="-c role=$role" pgbench -n -c "$clients" -j "$clients" -T "$secs" \
    -f "$work/note.sql@4" -f "$work/slow.sql@3" -f "$work/toggle.sql@2" -f "$work/rollback.sql@2" \
    "$db" > "$work/pgbench.log" 2>&1 || { echo "pgbench failed:"; cat "$work/pgbench.log"; exit 1; }
grep -E "^(number of transactions actually processed|number of failed transactions|tps)" "$work/pgbench.log" || true

echo "== writers done; drain"
q -d "$db" -c "UPDATE load_cfg SET stop = true"
for _ in $(seq 1 600); do
    kill -0 "$consumer_pid" 2>/dev/null || break
    sleep 0.1
done
if kill -0 "$consumer_pid" 2>/dev/null; then
    echo "FAIL: the consumer did not finish draining within 60 s"
    exit 1
fi
if ! wait "$consumer_pid"; then
    consumer_pid=""
    echo "FAIL: the consumer failed:"; cat "$work/consumer.log"
    exit 1
fi
consumer_pid=""

echo "== check"
read -r committed received distinct_received missed extra duplicates disorder holes polls held naive_missed <<<"$(qa -d "$db" -F ' ' <<'SQL'
WITH ws AS (SELECT ws FROM load_cfg),
     ev AS (SELECT id FROM woes.events WHERE workspace_id = (SELECT ws FROM ws))
SELECT (SELECT count(*) FROM ev),
       (SELECT count(*) FROM received),
       (SELECT count(DISTINCT id) FROM received),
       (SELECT count(*) FROM ev WHERE id NOT IN (SELECT id FROM received)),
       (SELECT count(*) FROM received WHERE id NOT IN (SELECT id FROM ev)),
       (SELECT count(*) FROM (SELECT id FROM received GROUP BY id HAVING count(*) > 1) d),
       (SELECT count(*) FROM (SELECT id, lag(id) OVER (ORDER BY seq) AS prev FROM received) r
         WHERE r.id <= r.prev),
       (SELECT (max(id) - min(id) + 1) - count(*) FROM ev),
       (SELECT count(*) FROM polls),
       (SELECT count(*) FROM polls WHERE visible_max >= horizon),
       (SELECT count(*) FROM ev WHERE id NOT IN (SELECT id FROM received_naive));
SQL
)"

echo "committed events:            $committed"
echo "received by the consumer:    $received ($distinct_received distinct) in $polls polls"
echo "missed / extra / duplicated: $missed / $extra / $duplicates"
echo "out of order:                $disorder"
echo "ids skipped (rolled back):   $holes"
echo "polls with a committed id held back above the horizon: $held"
echo "a naive 'id > cursor' consumer would have missed: $naive_missed"

fail=0
[ "$committed" -ge 200 ] || { echo "FAIL: too few events written ($committed) for a meaningful run"; fail=1; }
[ "$missed" -eq 0 ] || { echo "FAIL: $missed committed events never reached the consumer"; fail=1; }
[ "$extra" -eq 0 ] || { echo "FAIL: $extra ids received that are not committed events"; fail=1; }
[ "$duplicates" -eq 0 ] || { echo "FAIL: $duplicates events received more than once"; fail=1; }
[ "$disorder" -eq 0 ] || { echo "FAIL: $disorder ids received out of order"; fail=1; }
[ "$received" -eq "$committed" ] || { echo "FAIL: received $received, committed $committed"; fail=1; }
if [ "$fail" -ne 0 ]; then
    qa -d "$db" -c "SELECT 'missed id ' || id FROM woes.events WHERE id NOT IN (SELECT id FROM received) ORDER BY id LIMIT 20"
    exit 1
fi
echo "ok: every committed event was delivered exactly once, in order"

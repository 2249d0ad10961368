#!/usr/bin/env bash
# The outbox is not read on a hot standby.  Its horizon is the primary's:
# the in-flight marks of the transactions still writing events are in the
# primary's lock table, which a standby does not have, and a standby's
# sequence reads what the primary logged ahead.  A page read there could
# hand out an event of a committed transaction while an earlier id of a
# transaction still open on the primary was not yet there: a consumer that
# moves its cursor past it skips that event for good.  So, on a standby
# made from the suite's cluster (pg_basebackup, streaming, hot_standby):
#   1. with a transaction on the primary holding event ids (in flight) and
#      a later one committed and replayed: events_since, event_horizon and
#      resolved_conversations raise WO402, as a woes_service member and as
#      the superuser (without the check, events_since returned the later
#      event, above the primary's horizon);
#   2. the primary meanwhile serves the page below its horizon only;
#   3. promoted, the same node reads the outbox again, as the primary does.
# Needs to be root or the server's OS user (the standby runs as that user).
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
. "$(dirname "$0")/../lib/checks.sh"
role=woes_outbox_standby_app
scratch_db woes_outbox_standby_test $role

bindir=$("${PG_CONFIG:-pg_config}" --bindir)
owner=$(stat -c %U "$(psql -qXAt -d "$db" -c 'SHOW data_directory')")
as_owner() {
    if [ "$(id -un)" = "$owner" ]; then "$@"
    elif [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"
    else echo "outbox_standby.sh: needs to be root or $owner" >&2; exit 1
    fi
}
work=$(mktemp -d /tmp/woes_outbox_standby.XXXXXX)
chmod 755 "$work"
sb=$work/standby
sock=$work/sock
writer_pid=
cleanup() {
    [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
    as_owner "$bindir/pg_ctl" -D "$sb" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$work"
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -qX -v ON_ERROR_STOP=1 -d "$db" <<'SQL'
SELECT woes.create_workspace('one', 'One') \g /dev/null
SELECT woes.create_workspace('two', 'Two') \g /dev/null
DO $$
DECLARE
    w record;
    i int;
BEGIN
    FOR i IN 1..3 LOOP
        FOR w IN SELECT id FROM woes.workspaces ORDER BY slug LOOP
            PERFORM woes.set_context(w.id, 'admin');
            PERFORM woes.receive_message('api', 'thread-' || i, 'visitor-' || i, 'hello ' || i, 'm-' || i);
            PERFORM woes.clear_context();
        END LOOP;
    END LOOP;
END $$;
SQL
ws=$(psql -qXAt -d "$db" -c "SELECT id FROM woes.workspaces WHERE slug = 'one'")
before=$(psql -qXAt -d "$db" -c "SELECT max(id) FROM woes.events")

# the standby: a copy streaming from the suite's cluster, its socket in $work
mkdir -p "$sb" "$sock"
chown "$owner" "$work" "$sb" "$sock"
chmod 700 "$sb"
as_owner "$bindir/pg_basebackup" -c fast -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -D "$sb" -R -X stream
# a hot standby needs these at least as high as the primary's (the suite's
# cluster raises some of them)
psql -qXAt -d "$db" -c "SELECT format('%s = %s', name, setting) FROM pg_settings
    WHERE name IN ('max_connections', 'max_worker_processes', 'max_wal_senders',
                   'max_prepared_transactions', 'max_locks_per_transaction')" >"$work/standby.conf"
as_owner cp "$work/standby.conf" "$sb/postgresql.conf"
as_owner touch "$sb/pg_ident.conf"
as_owner sh -c "echo 'local all all trust' > '$sb/pg_hba.conf'"
as_owner "$bindir/pg_ctl" -D "$sb" -l "$work/standby.log" -w \
    -o "-c listen_addresses='' -c unix_socket_directories='$sock' -c port=5432 -c hot_standby=on" start >/dev/null ||
    { cat "$work/standby.log"; fail "the standby did not start"; }
on_standby() { psql -qX -h "$sock" -p 5432 -U "$PGUSER" -d "$db" "$@"; }

# 1. a writer on the primary holds event ids (its in-flight mark), then a
#    later transaction commits an event (in a thread that exists: a new
#    conversation would wait for the writer's lock on the workspace's
#    conversation numbers)
psql -qX -v ON_ERROR_STOP=1 -d "$db" >"$work/writer.log" 2>&1 <<SQL &
SET ROLE $role;
BEGIN;
SELECT woes.set_context('$ws', 'operator');
SELECT woes.receive_message('api', 'slow-thread', 'slow-visitor', 'slow', 'slow-1');
SELECT pg_sleep(60);
COMMIT;
SQL
writer_pid=$!
# the writer's in-flight mark (README, "The outbox")
marks() { psql -qXAt -d "$db" -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 22351"; }
for _ in $(seq 1 200); do
    [ "$(marks)" = 1 ] && break
    sleep 0.1
done
expect "the writer holds its event ids" "$(marks)" "1"
psql -qX -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<SQL
SET ROLE $role;
BEGIN;
SELECT woes.set_context('$ws', 'operator');
SELECT woes.receive_message('api', 'thread-1', 'visitor-1', 'fast', 'fast-1');
COMMIT;
SQL
latest=$(psql -qXAt -d "$db" -c "SELECT max(id) FROM woes.events WHERE workspace_id = '$ws' AND kind = 'message.created'")
# the standby has replayed the later event
for _ in $(seq 1 200); do
    [ "$(on_standby -At -c "SELECT count(*) FROM woes.events WHERE id = $latest")" = 1 ] && break
    sleep 0.1
done
expect "the standby replayed the committed event" \
    "$(on_standby -At -c "SELECT pg_is_in_recovery(), count(*) FROM woes.events WHERE id = $latest")" "t|1"

refused() {   # $1: who (a role or superuser), $2: the call; prints its error
    local setrole=""
    [ "$1" = superuser ] || setrole="SET ROLE $1;"
    on_standby -At -v VERBOSITY=verbose 2>&1 <<SQL | grep -o 'ERROR: .*' | head -1
$setrole
BEGIN;
SELECT woes.set_context('$ws', 'operator') \g /dev/null
$2;
COMMIT;
SQL
}
want='ERROR:  WO402: the outbox cannot be read on a standby'
for who in "$role" superuser; do
    expect "events_since on the standby ($who)" \
        "$(refused "$who" "SELECT string_agg(id::text, ',') FROM woes.events_since($before, 100)")" "$want"
    expect "event_horizon on the standby ($who)" "$(refused "$who" "SELECT woes.event_horizon()")" "$want"
    expect "resolved_conversations on the standby ($who)" \
        "$(refused "$who" "SELECT count(*) FROM woes.resolved_conversations(0, 100)")" "$want"
done

# 2. the primary serves nothing past the writer's ids, so not the later
#    event either
expect "the primary: the page stops below the writer in flight" \
    "$(psql -qXAt -d "$db" <<SQL
SET ROLE $role;
BEGIN;
SELECT woes.set_context('$ws', 'operator') \g /dev/null
SELECT count(*) FILTER (WHERE id >= $latest) FROM woes.events_since($before, 100);
COMMIT;
SQL
)" "0"

# 3. promoted (the writer's transaction never reached it: it is gone there),
#    the node reads its outbox as a primary
as_owner "$bindir/pg_ctl" -D "$sb" -w promote >/dev/null
expect "promoted: events_since reads the outbox" \
    "$(on_standby -At <<SQL
SET ROLE $role;
BEGIN;
SELECT woes.set_context('$ws', 'operator') \g /dev/null
SELECT pg_is_in_recovery(), count(*) FILTER (WHERE id = $latest) FROM woes.events_since($before, 100);
COMMIT;
SQL
)" "f|1"
echo "outbox_standby.sh: all checks passed"

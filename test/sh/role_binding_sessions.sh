#!/usr/bin/env bash
# Role bindings act at once (README "Role Bindings"): a session of a bound
# role opened before bind_role, unbind_role or a rebind does not go on
# reading under the old binding.  Such sessions are ended when the change
# commits, and the next session reads the new one:
#   1. a held-open session (a BI tool's connection) bound to workspace A;
#      the admin rebinds the role to B: the held session's next statement
#      fails (ended, 57P01), a new session reads B;
#   2. the same through PgBouncer in session mode (a pool's server
#      connection): after unbind_role the pool's next client gets a new
#      server connection, which has no context and reads nothing;
#   3. a rebind that rolls back (the transaction, or a savepoint) ends no
#      session; a transaction that rebinds cannot be prepared; unbind_role
#      refuses a superuser, and ends no session of a role without a binding.
# Runs against the cluster in PG* as a superuser, woes installed; makes and
# drops its own database and roles.
set -uo pipefail
cd "$(dirname "$0")/../.."
db=woes_bindings_test
work=$(mktemp -d /tmp/woes-bindings.XXXXXX)
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok: $*"; }
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    [ -n "${bouncer_pid:-}" ] && kill "$bouncer_pid" 2>/dev/null
    [ -n "${BI_PID:-}" ] && kill "$BI_PID" 2>/dev/null
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS woes_bind_bi" -c "DROP ROLE IF EXISTS woes_bind_admin" \
        -c "DROP ROLE IF EXISTS woes_bind_app" >/dev/null 2>&1
    rm -rf "$work"
}
trap cleanup EXIT

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -d postgres -c "DROP ROLE IF EXISTS woes_bind_bi" -c "DROP ROLE IF EXISTS woes_bind_admin" \
    -c "DROP ROLE IF EXISTS woes_bind_app" >/dev/null 2>&1
q -d "$db" <<'SQL' >/dev/null
CREATE EXTENSION woes;
CREATE ROLE woes_bind_bi LOGIN IN ROLE woes_analyst;
CREATE ROLE woes_bind_admin LOGIN IN ROLE woes_admin;
CREATE ROLE woes_bind_app LOGIN IN ROLE woes_service;
SELECT woes.create_workspace('bind-a', 'A'), woes.create_workspace('bind-b', 'B');
SQL
ws_a=$(q -d "$db" -c "SELECT id FROM woes.workspaces WHERE slug = 'bind-a'")
ws_b=$(q -d "$db" -c "SELECT id FROM woes.workspaces WHERE slug = 'bind-b'")
# bind(role, workspace) as the admin, in a context of that workspace
bind() {
    q -d "$db" -U woes_bind_admin -c "BEGIN" -c "SELECT woes.set_context('$2', 'admin')" \
      -c "SELECT woes.bind_role('$1', '$2', 'analyst')" -c "COMMIT" >/dev/null
}
bind woes_bind_bi "$ws_a"

# 1. a held-open session of the bound role
coproc BI { psql -X -q -At -d "$db" -U woes_bind_bi 2>&1; }
ask() {	# one statement to the held session; its answer (one line) or its error
    local line
    echo "$1" >&"${BI[1]}" 2>/dev/null || { echo "(session gone)"; return; }
    echo "SELECT 'end-of-answer';" >&"${BI[1]}" 2>/dev/null || { echo "(session gone)"; return; }
    answer=""
    while IFS= read -r -t 10 line <&"${BI[0]}"; do
        [ "$line" = end-of-answer ] && break
        answer="${answer:+$answer }$line"
    done
    echo "$answer"
}
# a session is ended by a signal (as pg_terminate_backend ends it), which
# the backend acts on a moment after the COMMIT returns: wait for it to be
# gone (up to 10 s on a loaded machine) rather than for a fixed time
gone() {	# gone PID: wait until no backend has this pid
    case "$1" in ''|*[!0-9]*) return 1 ;; esac
    for _ in $(seq 1 100); do
        [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $1")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}
held_pid=$(ask "SELECT pg_backend_pid();")
before=$(ask "SELECT (SELECT workspace_id FROM woes_bi.workspace);")
[ "$before" = "$ws_a" ] && ok "the held session reads workspace A" || fail "the held session reads '$before', not A"
bind woes_bind_bi "$ws_b"
gone "$held_pid" || true     # (if it is not, the next answer says so)
after=$(ask "SELECT (SELECT workspace_id FROM woes_bi.workspace);")
case "$after" in
    *"terminating connection due to administrator command"*|*"server closed the connection"*|"(session gone)"|"")
        ok "after the rebind the held session was ended ($(echo "$after" | cut -c1-60))" ;;
    *) fail "after the rebind the held session still answers: '$after'" ;;
esac
fresh=$(q -d "$db" -U woes_bind_bi -c "SELECT (SELECT workspace_id FROM woes_bi.workspace)")
[ "$fresh" = "$ws_b" ] && ok "a new session reads workspace B" || fail "a new session reads '$fresh', not B"
[ -n "${BI_PID:-}" ] && { kill "$BI_PID" 2>/dev/null; wait "$BI_PID" 2>/dev/null; }

# 3. a rebind that rolls back ends nothing; a rebind cannot be prepared
coproc BI { psql -X -q -At -d "$db" -U woes_bind_bi 2>&1; }
q -d "$db" -U woes_bind_admin -c "BEGIN" -c "SELECT woes.set_context('$ws_a', 'admin')" \
  -c "SELECT woes.bind_role('woes_bind_bi', '$ws_a', 'analyst')" -c "ROLLBACK" >/dev/null
still=$(ask "SELECT (SELECT workspace_id FROM woes_bi.workspace);")
[ "$still" = "$ws_b" ] && ok "a rebind rolled back ends no session" || fail "after a rolled-back rebind the session answers '$still'"
prep=$(psql -X -q -At -d "$db" -U woes_bind_admin -c "BEGIN" -c "SELECT woes.set_context('$ws_a', 'admin')" \
         -c "SELECT woes.bind_role('woes_bind_bi', '$ws_a', 'analyst')" -c "PREPARE TRANSACTION 'woes_bind'" 2>&1)
case "$prep" in
    *"cannot be prepared"*) ok "a rebind cannot be prepared" ;;
    *) fail "PREPARE TRANSACTION of a rebind: '$prep'"; psql -X -q -d "$db" -c "ROLLBACK PREPARED 'woes_bind'" >/dev/null 2>&1 ;;
esac
still=$(ask "SELECT (SELECT workspace_id FROM woes_bi.workspace);")
[ "$still" = "$ws_b" ] && ok "the refused PREPARE ended no session" || fail "after the refused PREPARE the session answers '$still'"
# a rebind in a savepoint rolled back ends nothing either
q -d "$db" -U woes_bind_admin -c "BEGIN" -c "SELECT woes.set_context('$ws_a', 'admin')" -c "SAVEPOINT s" \
  -c "SELECT woes.bind_role('woes_bind_bi', '$ws_a', 'analyst')" -c "ROLLBACK TO s" -c "COMMIT" >/dev/null
still=$(ask "SELECT (SELECT workspace_id FROM woes_bi.workspace);")
[ "$still" = "$ws_b" ] && ok "a rebind in a rolled-back savepoint ends no session" || fail "after a rolled-back savepoint the session answers '$still'"
# unbinding reaches no further than binding: a superuser is refused, and a
# role without a binding (the application's) keeps its sessions
sup=$(psql -X -q -At -d "$db" -U woes_bind_admin -c "SELECT woes.unbind_role('postgres')" 2>&1)
case "$sup" in *WO007*|*"cannot be bound"*) ok "unbind_role of a superuser is refused" ;; *) fail "unbind_role('postgres'): '$sup'" ;; esac
[ -n "${BI_PID:-}" ] && { kill "$BI_PID" 2>/dev/null; wait "$BI_PID" 2>/dev/null; }
coproc BI { psql -X -q -At -d "$db" -U woes_bind_app 2>&1; }
unbound=$(q -d "$db" -U woes_bind_admin -c "SELECT woes.unbind_role('woes_bind_app')")
still=$(ask "SELECT 'alive';")
[ "$unbound" = f ] && [ "$still" = alive ] && ok "unbind_role of a role without a binding ends none of its sessions" \
    || fail "unbind_role of an unbound role: returned '$unbound', its session answers '$still'"
[ -n "${BI_PID:-}" ] && { kill "$BI_PID" 2>/dev/null; wait "$BI_PID" 2>/dev/null; }

# 2. through PgBouncer (session mode: a client holds its server connection;
# released, the connection is reused by the next client)
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
if [ -x "$bouncer" ]; then
    port=$((20000 + RANDOM % 20000))
    # the server as this script reaches it (as test/sh/clients.sh does)
    pg_host=${PGHOST:-$(psql -X -At -d postgres -c "SELECT split_part(current_setting('unix_socket_directories'), ',', 1)")}
    case "$pg_host" in localhost | "") pg_host=127.0.0.1 ;; esac
    pg_port=${PGPORT:-$(psql -X -At -d postgres -c "SHOW port")}
    cat > "$work/pgbouncer.ini" <<EOF
[databases]
pool = host=$pg_host port=$pg_port dbname=$db pool_size=1
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = session
server_reset_query =
query_wait_timeout = 15
server_connect_timeout = 5
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
EOF
    echo '"woes_bind_bi" ""' > "$work/userlist.txt"
    run_as=()
    [ "$(id -u)" = 0 ] && { chown -R postgres "$work"; run_as=(-u postgres); }
    "$bouncer" "${run_as[@]}" "$work/pgbouncer.ini" > "$work/pgbouncer.out" 2>&1 &
    bouncer_pid=$!
    pooled() { PGCONNECT_TIMEOUT=5 timeout 30 psql -X -q -At -h 127.0.0.1 -p "$port" -U woes_bind_bi -d pool -c "$1" 2>&1; }
    up=""
    for _ in $(seq 1 30); do
        [ "$(pooled "SELECT 1")" = 1 ] && { up=1; break; }
        kill -0 "$bouncer_pid" 2>/dev/null || break
        sleep 0.2
    done
    [ -n "$up" ] || fail "PgBouncer did not serve a connection: $(tail -3 "$work/pgbouncer.log" 2>/dev/null)"
    pid1=$(pooled "SELECT pg_backend_pid()")
    ws1=$(pooled "SELECT (SELECT workspace_id FROM woes_bi.workspace)")
    pid2=$(pooled "SELECT pg_backend_pid()")
    if [ "$pid1" = "$pid2" ] && [ "$ws1" = "$ws_b" ]; then
        ok "PgBouncer reuses one server connection (pid $pid1), bound to B"
    else
        fail "PgBouncer pool: pids $pid1/$pid2, workspace '$ws1'"
    fi
    q -d "$db" -U woes_bind_admin -c "BEGIN" -c "SELECT woes.set_context('$ws_b', 'admin')" \
      -c "SELECT woes.unbind_role('woes_bind_bi')" -c "COMMIT" >/dev/null
    gone "$pid1" || true
    # the pool's connection was ended: PgBouncer opens a new one, which has no context
    for _ in 1 2 3; do
        pid3=$(pooled "SELECT pg_backend_pid()")
        case "$pid3" in [0-9]*) break ;; esac
        sleep 0.3
    done
    ws3=$(pooled "SELECT coalesce((SELECT workspace_id::text FROM woes_bi.workspace), 'none')")
    rows=$(pooled "SELECT count(*) FROM woes_bi.workspace")
    if [ "$pid3" != "$pid1" ] && [ "$ws3" = none ] && [ "$rows" = 0 ]; then
        ok "after unbind_role the pool's next client has a new server connection (pid $pid3), no context, reads nothing"
    else
        fail "after unbind_role through PgBouncer: pid $pid3 (was $pid1), workspace '$ws3', workspaces visible '$rows'"
    fi
else
    echo "skipped the PgBouncer part: pgbouncer is not installed"
fi

if [ "$failures" -gt 0 ]; then
    echo "role_binding_sessions: $failures failure(s)"
    exit 1
fi
echo "role_binding_sessions: ok"

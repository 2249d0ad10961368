#!/usr/bin/env bash
# Real clients through a real transaction pooler.
#
# node-postgres (test/clients/node/test.js) and psycopg 3
# (test/clients/python/test.py) run several concurrent clients through
# PgBouncer in transaction pooling mode, with fewer pooled server
# connections than clients, so that consecutive transactions of one client
# land on different server connections and every server connection serves
# several clients, one after the other.  Each client acts for its own
# workspace and operator and runs the documented workflow (BEGIN;
# set_context; receive_message, reply, add_note, read the inbox and the
# messages; COMMIT) many times, and checks that nothing crosses from one
# client to the next: no context outside a transaction, no row or note of
# another workspace.  They also check that woes's SQLSTATEs reach each
# driver, which prepared-statement settings are safe behind PgBouncer < 1.21,
# and that a session-level context is refused, so that one client can never
# leave a context on a server connection for the next client to act under.
#
# Runs against the cluster in PG* (pg_virtualenv in test/run), as a
# superuser, like every test in test/sh.  On its own, as root:
#
#   make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   make install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   pg_virtualenv -t -v 15 -o max_connections=60 bash test/sh/clients.sh
#
# Installs what it needs (as root): Debian's pgbouncer and python3-psycopg,
# and node/npm (Debian's nodejs and npm) when there is no node on PATH;
# node-postgres comes from test/clients/node/package-lock.json (npm ci).
# Prints one line per check and a summary; exits non-zero on any failure.
# WOES_CLIENTS_TRANSACTIONS sets the transactions per client (default 40).
set -uo pipefail
cd "$(dirname "$0")/../.."

db="woes_clients_$$"
role="woes_clients_app"   # not "app": the pg_regress fixtures own that name in the same cluster
work=$(mktemp -d /tmp/woes-clients.XXXXXX)
bouncer_pid=""
passed=0
failed=0

ok() { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*"; failed=$((failed + 1)); }
die() { fail "$*"; summary; exit 1; }
# The last line: every check of this script and of both clients.  (Worded
# so that it is not taken for the "N passed, N failed" line of test/run.)
summary() {
    local p=$passed f=$failed line n m
    for line in "$work/node.out" "$work/python.out"; do
        read -r n m < <(sed -n 's/^[a-z]* summary: \([0-9]*\) checks passed, \([0-9]*\) failed$/\1 \2/p' "$line" 2>/dev/null) || continue
        p=$((p + n)); f=$((f + m))
    done
    echo "clients summary: $p checks passed, $f failed (node-postgres, psycopg and this script)"
    total_failed=$f
}
total_failed=0

cleanup() {
    if [ -n "$bouncer_pid" ] && kill -0 "$bouncer_pid" 2>/dev/null; then
        kill -TERM "$bouncer_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$bouncer_pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$bouncer_pid" 2>/dev/null; then kill -KILL "$bouncer_pid" 2>/dev/null || true; fi
    fi
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- packages
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
installed pgbouncer || need+=(pgbouncer)
installed python3-psycopg || need+=(python3-psycopg)
# node and npm: whatever is on PATH; Debian's only where there is none
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages (${need[*]}) and not root to install them"
    echo "== installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >"$work/apt.log" 2>&1 \
        || { tail -20 "$work/apt.log"; die "apt-get install ${need[*]} failed"; }
fi
# Debian's python, where python3-psycopg is installed (not a pyenv or venv
# python that may come first on PATH)
python=/usr/bin/python3
bouncer=$(command -v pgbouncer || echo /usr/sbin/pgbouncer)
echo "pgbouncer: $("$bouncer" --version | head -1)"
echo "psycopg: $("$python" -c 'import psycopg; print(psycopg.__version__, "libpq", psycopg.pq.version())' 2>&1)"
echo "node: $(node --version), npm: $(npm --version)"

if [ ! -d test/clients/node/node_modules ]; then
    (cd test/clients/node && npm ci --no-audit --no-fund >"$work/npm.log" 2>&1) \
        || { tail -20 "$work/npm.log"; die "npm ci in test/clients/node failed"; }
fi
echo "node-postgres: $(cd test/clients/node && node -e 'console.log(require("pg/package.json").version)')"

# ------------------------------------------------------------- the cluster
# The cluster is throwaway; PgBouncer connects as the test's role without a
# password (the same rewrite as test/suites; harmless if it is done already).
hba=$(psql -XAtq -d postgres -c 'SHOW hba_file') || die "cannot reach the cluster in PG*"
if ! grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    { echo "local all all trust"; echo "host all all 127.0.0.1/32 trust"; echo "host all all ::1/128 trust"; cat "$hba"; } > "$work/hba"
    cat "$work/hba" > "$hba"
    psql -XAtq -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
fi

pg_host=${PGHOST:-localhost}
case "$pg_host" in localhost | "") pg_host=127.0.0.1 ;; esac
pg_port=${PGPORT:-5432}

echo "== setup: database $db, role $role, two workspaces"
psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || die "cannot create database $db"
# the extension first: it creates the group roles (woes_service) if missing
psql -X -q -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION woes CASCADE" >/dev/null \
    || die "CREATE EXTENSION woes CASCADE failed"
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE ROLE $role LOGIN IN ROLE woes_service" >/dev/null || die "cannot create role $role"

# Everything but CREATE EXTENSION is done by the application role, through
# the API, as README's "Getting Started" does.
psql -X -q -At -v ON_ERROR_STOP=1 -v role="$role" -d "$db" > "$work/fixtures.json" 2> "$work/setup.err" <<'SQL'
SET client_min_messages = warning;
SET ROLE :"role";
SELECT woes.create_workspace('clients-a', 'Clients A') AS wsa \gset
SELECT woes.create_workspace('clients-b', 'Clients B') AS wsb \gset

BEGIN;
SELECT woes.set_context(:'wsa', 'operator') \g /dev/null
SELECT woes.add_operator('Ada A1', 'a1@a.test') AS a1 \gset
SELECT woes.add_operator('Ben A2', 'a2@a.test') AS a2 \gset
SELECT woes.add_operator('Cy A3', 'a3@a.test') AS a3 \gset
SELECT woes.upsert_contact('api', 'customer-a', 'Customer A') AS ca \gset
SELECT woes.start_conversation(:'ca', 'api', 'first of A', 'hello from A') AS conva \gset
COMMIT;

BEGIN;
SELECT woes.set_context(:'wsb', 'operator') \g /dev/null
SELECT woes.add_operator('Dee B1', 'b1@b.test') AS b1 \gset
SELECT woes.add_operator('Eve B2', 'b2@b.test') AS b2 \gset
SELECT woes.add_operator('Flo B3', 'b3@b.test') AS b3 \gset
SELECT woes.upsert_contact('api', 'customer-b', 'Customer B') AS cb \gset
SELECT woes.start_conversation(:'cb', 'api', 'first of B', 'hello from B') AS convb \gset
COMMIT;

SELECT json_build_object(
    'workspaces', json_build_array(
        json_build_object('label', 'clients-a', 'id', :'wsa', 'operators', json_build_array(:'a1', :'a2', :'a3'),
                          'contact', :'ca', 'conversation', :'conva'),
        json_build_object('label', 'clients-b', 'id', :'wsb', 'operators', json_build_array(:'b1', :'b2', :'b3'),
                          'contact', :'cb', 'conversation', :'convb')));
SQL
[ $? -eq 0 ] || { cat "$work/setup.err"; die "setup failed"; }
ok "setup: CREATE EXTENSION woes CASCADE; 2 workspaces with 3 operators, a contact and a conversation each, made by $role through the API"

# --------------------------------------------------------------- PgBouncer
port=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
pool_size=2
clients=6
server="host=$pg_host port=$pg_port dbname=$db"
# One database for the workload (pool of 2 for 6 clients), and pinned ones
# of a single server connection each: there the next client is certain to
# get the server connection the previous one used, which the session-context
# checks need.  The cold_* ones are used first by a plain SET, so that the
# server connection has not loaded the woes library yet when it is SET.
{
    echo "[databases]"
    echo "woes_pool = $server"
    for d in node python; do
        for p in warm_set warm_ctx cold_auto cold_tx cold_config reason; do
            echo "pin_${d}_${p} = $server pool_size=1"
        done
    done
    cat <<EOF

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $work/userlist.txt
pool_mode = transaction
default_pool_size = $pool_size
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
max_db_connections = 0
; LIFO (the default): a released server connection is the next one handed
; out, so consecutive clients share connections as much as possible.
server_round_robin = 0
; No reset between clients (the defaults, set here to say so): in transaction
; mode PgBouncer runs server_reset_query only if server_reset_query_always
; = 1.  That setting would DISCARD ALL after every transaction, undoing any
; session SET and so hiding a leaked context from these checks; woes must be
; safe without it, so it stays off.  PgBouncer 1.18 does not track woes.*
; settings either: a session SET stays on the server connection it ran on.
server_reset_query = DISCARD ALL
server_reset_query_always = 0
; PgBouncer 1.18 has no prepared statement support (max_prepared_statements
; came in 1.21): only unnamed statements are safe in transaction mode.
ignore_startup_parameters = extra_float_digits
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
log_connections = 0
log_disconnections = 0
EOF
} > "$work/pgbouncer.ini"
echo "\"$role\" \"\"" > "$work/userlist.txt"

# PgBouncer refuses to run as root: as root it switches to postgres (-u).
run_as=()
if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$work"
    run_as=(-u postgres)
fi
"$bouncer" "${run_as[@]}" "$work/pgbouncer.ini" > "$work/pgbouncer.out" 2>&1 &
bouncer_pid=$!
up=""
for _ in $(seq 1 100); do
    if psql -X -q -At -h 127.0.0.1 -p "$port" -U "$role" -d woes_pool -c "SELECT 1" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$bouncer_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$up" ] || { cat "$work/pgbouncer.out" "$work/pgbouncer.log" 2>/dev/null | tail -20; die "PgBouncer did not start"; }
ok "PgBouncer $("$bouncer" --version | head -1 | awk '{print $2}') on 127.0.0.1:$port, pool_mode transaction, $pool_size server connections for $clients clients (pid $bouncer_pid)"

# Is woes preloaded (shared_ or session_preload_libraries)?  Then a new
# server connection has it loaded before its first statement.
preload=$(psql -XAtq -d postgres -c "SELECT current_setting('shared_preload_libraries') || ',' || current_setting('session_preload_libraries')")
case ",${preload// /}," in *,woes,*) preloaded=1 ;; *) preloaded=0 ;; esac
echo "woes preloaded: $([ "$preloaded" = 1 ] && echo yes || echo no) (shared/session_preload_libraries: $preload)"

"$python" - "$work/fixtures.json" "$work/config.json" "$port" "$role" "$pool_size" "$clients" "${WOES_CLIENTS_TRANSACTIONS:-40}" "$preloaded" <<'PY'
import json, sys
fixtures, out, port, role, pool, clients, tx, preloaded = sys.argv[1:]
c = json.load(open(fixtures))
c.update(host="127.0.0.1", port=int(port), user=role, database="woes_pool", pool_size=int(pool),
         clients=int(clients), transactions=int(tx), woes_preloaded=preloaded == "1")
json.dump(c, open(out, "w"), indent=1)
PY
export WOES_CLIENTS_CONFIG=$work/config.json

# ----------------------------------------------------------------- clients
echo "== node-postgres"
(cd test/clients/node && timeout 120 node test.js) 2>&1 | tee "$work/node.out"
rc_node=${PIPESTATUS[0]}
# its checks count in the summary; here only a run that did not get to its end
grep -q '^node summary: ' "$work/node.out" || fail "the node-postgres suite did not finish (exit $rc_node)"

echo "== psycopg 3"
timeout 120 "$python" -B test/clients/python/test.py 2>&1 | tee "$work/python.out"
rc_py=${PIPESTATUS[0]}
grep -q '^python summary: ' "$work/python.out" || fail "the psycopg suite did not finish (exit $rc_py)"

# ------------------------------------------------------- after the clients
echo "== after the clients (as a superuser, row-level security off)"
# every note a client wrote landed in the workspace it was written for
misplaced=$(psql -X -q -At -d "$db" -c "SET row_security = off" -c "
    SELECT count(*) FILTER (WHERE split_part(m.body, ':', 3) <> w.slug) || ' ' || count(*)
      FROM woes.messages m JOIN woes.workspaces w ON w.id = m.workspace_id
     WHERE m.body LIKE 'note:%'")
read -r bad total <<< "$misplaced"
if [ "${bad:-x}" = 0 ] && [ "${total:-0}" -gt 0 ]; then
    ok "all $total notes the clients wrote are stored in the workspace of their writer"
else
    fail "notes stored outside their writer's workspace: ${bad:-?} of ${total:-?}"
fi
# PgBouncer really multiplexed: never more server connections than the pool
servers=$(psql -X -q -At -d "$db" -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$role' AND datname = '$db'")
echo "server connections of $role still open: $servers (pool of $pool_size plus the pinned databases)"
if ! kill -0 "$bouncer_pid" 2>/dev/null; then
    fail "PgBouncer died during the run"; tail -20 "$work/pgbouncer.log"
else
    ok "PgBouncer still running after the clients"
fi
grep -E 'ERROR|FATAL|WARNING' "$work/pgbouncer.log" | grep -v 'client_login_timeout' | tail -5 | sed 's/^/  pgbouncer log: /'

summary
[ "$total_failed" = 0 ] && [ "$rc_node" = 0 ] && [ "$rc_py" = 0 ]

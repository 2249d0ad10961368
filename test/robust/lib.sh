# Shared by the robustness tests in test/sh (fuzz.sh, sqlsmith.sh,
# crash_recovery.sh); sourced, not run.  Expects the PG* environment of the
# cluster under test (pg_virtualenv) and a superuser as PGUSER.

# psql without .psqlrc, quiet, stopping at the first error
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
# the same, unaligned and tuples only: for values read into the script
qa() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# What identifies one life of the server: the postmaster's start time (a
# restart changes it) and the checkpointer's pid.  After a backend crash the
# postmaster does not restart, it reinitializes: every child, the
# checkpointer included, is started again, so its pid changes while
# pg_postmaster_start_time() does not.
server_incarnation() {
    qa -d postgres -c "SELECT pg_postmaster_start_time() || ' checkpointer ' ||
        coalesce((SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer')::text, '?')"
}

# Wait until the server accepts connections again (after a crash); at most
# $1 seconds (default 60).  Returns non-zero if it does not come back.
wait_for_server() {
    local limit=${1:-60} i
    for ((i = 0; i < limit * 4; i++)); do
        if psql -X -q -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.25
    done
    return 1
}

# The server's log file, if it can be found (pg_virtualenv's clusters log to
# a file named after the cluster; pg_current_logfile() when the logging
# collector runs).  Prints nothing if unknown.
server_log_file() {
    local f
    f=$(qa -d postgres -c "SELECT pg_current_logfile()" 2>/dev/null || true)
    if [ -n "$f" ]; then
        case $f in
            /*) ;;
            *) f="$(qa -d postgres -c 'SHOW data_directory')/$f" ;;
        esac
        [ -r "$f" ] && { echo "$f"; return; }
    fi
    local v=${PGVERSION:-15} d
    for d in "${PG_CLUSTER_CONF_ROOT:+${PG_CLUSTER_CONF_ROOT%/postgresql}/log}" /var/log/postgresql; do
        [ -n "$d" ] && [ -r "$d/postgresql-$v-regress.log" ] && { echo "$d/postgresql-$v-regress.log"; return; }
    done
}

# Lines of the server log written since byte offset $2 of file $1 that tell
# of a crashed or killed server process.
crash_lines_since() {
    local file=$1 offset=$2
    [ -n "$file" ] && [ -r "$file" ] || return 0
    tail -c +"$((offset + 1))" "$file" | grep -E 'terminated by signal|terminated by exception|terminating any other active server processes|PANIC:|TRAP:' || true
}

log_size() {
    [ -n "$1" ] && [ -r "$1" ] && stat -c %s "$1" || echo 0
}

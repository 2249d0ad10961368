# Sourced by the shell tests (test/sh/*.sh) that need a database of their
# own on the suite's cluster:
#
#   scratch_db NAME [APP_ROLE]
#
# drops and creates database NAME with woes in it, and drops it again when
# the test exits (also on failure); with APP_ROLE, makes that role a member
# of woes_service unless it exists (roles are the cluster's: the next run
# finds it).  Sets db to NAME.
scratch_db() {
    db=$1
    trap 'psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    psql -qX -v ON_ERROR_STOP=1 -d "$db" -c "SET client_min_messages = warning" -c "CREATE EXTENSION woes"
    if [ -n "${2:-}" ]; then
        psql -qX -v ON_ERROR_STOP=1 -d "$db" -c "DO \$\$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$2') THEN
                CREATE ROLE $2 IN ROLE woes_service;
            END IF;
        END \$\$"
    fi
}

#!/usr/bin/env bash
# woes.events_since reads its page from the outbox's key (src/events.c, the
# range probe of src/probe.c), not by a query through SPI, only where the
# query could not answer otherwise; and it answers as the query did.
# auto_explain, logging nested statements, shows whether the query ran (its
# text reads "FROM woes.events e"); each page is compared with the owner's
# query of the same rows (count and md5 of the rows as text):
#   1. as a member of woes_service (row-level security applies), as a
#      member of woes_admin, and as the superuser: no query, the same pages for several
#      cursors and sizes, and the last page is short;
#   2. with row_security off in the session: the same (woes's rules apply
#      whatever the session set);
#   3. a DBA's own policy on events (restrictive, FOR SELECT): the query
#      runs and the policy holds, with row_security off in the session too;
#      dropped, no query again;
#   4. woes's own read policy rewritten by ALTER POLICY (TO PUBLIC and its
#      comment kept): the query runs and the rewritten policy holds; put
#      back, no query;
#   5. SELECT on events revoked from woes_service: the query runs and
#      refuses (42501), as before;
#   6. a column a DBA added with a default, then dropped (woes writes no
#      event while it is there): the rows written before it carry the
#      default, as the query's do; no query either way; from PostgreSQL 18,
#      a virtual generated column: the query runs (it computes the column);
#   7. a LOGIN role bound to the operator audience, with only what reading
#      the outbox takes (EXECUTE on events_since, SELECT on events; not
#      workspaces): it reads the pages;
#   8. what the read stands on: the read policies of events as woes ships
#      them (a change to them fails here: see events.c).
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
. "$(dirname "$0")/../lib/checks.sh"
role=woes_direct_outbox_app
scratch_db woes_direct_outbox_test $role
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
DO $$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_direct_outbox_admin') THEN
        CREATE ROLE woes_direct_outbox_admin IN ROLE woes_admin;
    END IF;
END $$;
SELECT woes.create_workspace('one', 'One') \g /dev/null
SELECT woes.create_workspace('two', 'Two') \g /dev/null
-- events of both workspaces, interleaved: conversations, messages, status changes
DO $$
DECLARE
    w record;
    i int;
    conv uuid;
    msg uuid;
BEGIN
    FOR i IN 1..12 LOOP
        FOR w IN SELECT id FROM woes.workspaces ORDER BY slug LOOP
            PERFORM woes.set_context(w.id, 'admin');
            msg := woes.receive_message('api', 'thread-' || i, 'visitor-' || i, 'hello ' || i, 'm-' || i);
            SELECT conversation_id INTO conv FROM woes.messages WHERE id = msg;
            IF i % 3 = 0 THEN
                PERFORM woes.set_pending(conv);
            END IF;
            PERFORM woes.clear_context();
        END LOOP;
    END LOOP;
END $$;
SQL
total=$(psql -qX -At -d $db -c "SELECT count(*) FROM woes.events e JOIN woes.workspaces w ON w.id = e.workspace_id WHERE w.slug = 'one'")
at_least "events of workspace one" "$total" 25

# page CURSOR MAX [AUDIENCE]: as ${ROLE:-$role} with auto_explain on, prints
# "queries: N|rows: COUNT MD5", or the error; ${SETUP} runs first
page() {
    local cursor=$1 max=$2 aud=${3:-operator} out
    out=$(psql -qX -At -d $db 2>&1 <<SQL
SET client_min_messages = notice;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SELECT id AS ws FROM woes.workspaces WHERE slug = 'one' \gset
SET ROLE ${ROLE:-$role};
${SETUP:-}
\\set VERBOSITY default
BEGIN;
SELECT woes.set_context(:'ws', '$aud') \\g /dev/null
SELECT 'rows: ' || count(*) || ' ' || coalesce(md5(string_agg(e::text, ',' ORDER BY e.id)), '-')
  FROM woes.events_since($cursor, $max) e;
COMMIT;
SQL
)
    echo "queries: $(grep -c 'FROM woes\.events e' <<<"$out" || true)"
    grep -E '^(ERROR|rows)' <<<"$out" | grep -v 'current transaction is aborted' || true
}
# owner CURSOR MAX [FILTER]: the owner's query of the same page
owner() {
    psql -qX -At -d $db -c "SELECT 'rows: ' || count(*) || ' ' || coalesce(md5(string_agg(e::text, ',' ORDER BY e.id)), '-')
      FROM (SELECT * FROM woes.events WHERE workspace_id = (SELECT id FROM woes.workspaces WHERE slug = 'one')
               AND id > $1 ${3:-} ORDER BY id LIMIT $2) e"
}
# the id of the Nth event of workspace one (a cursor inside its pages)
nth() {
    psql -qX -At -d $db -c "SELECT id FROM woes.events WHERE workspace_id = (SELECT id FROM woes.workspaces WHERE slug = 'one')
                             ORDER BY id OFFSET $1 LIMIT 1"
}
mid=$(nth 10)
near_end=$(nth $((total - 3)))

echo "== 1. as a member of woes_service, and as the superuser: no query, the owner's rows"
for c in 0 "$mid" "$near_end"; do
    for m in 1 7 1000; do
        expect "operator, cursor $c, max $m" "$(one "$(page "$c" "$m")")" "queries: 0|$(owner "$c" "$m")"
    done
done
expect "admin" "$(one "$(ROLE=woes_direct_outbox_admin page "$mid" 5 admin)")" "queries: 0|$(owner "$mid" 5)"
expect "the superuser" "$(one "$(ROLE=postgres page "$mid" 5 admin)")" "queries: 0|$(owner "$mid" 5)"
expect "the last page is short" "$(page "$near_end" 1000 | sed -n 2p | cut -d' ' -f2)" "2"
expect "past the end" "$(one "$(page "$(nth $((total - 1)))" 1000)")" "queries: 0|rows: 0 -"
# called in a target list, and read through a scrollable cursor (the result
# read backwards)
expect "in a target list, and by a scrollable cursor" "$(psql -qX -At -d $db 2>&1 <<SQL
SELECT id AS ws FROM woes.workspaces WHERE slug = 'one' \\gset
SET ROLE $role;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \\g /dev/null
SELECT 'rows: ' || count(*) || ' ' || coalesce(md5(string_agg(e::text, ',' ORDER BY (e).id)), '-')
  FROM (SELECT woes.events_since($mid, 9) AS e) s;
DECLARE c SCROLL CURSOR FOR SELECT id FROM woes.events_since($mid, 9);
FETCH LAST FROM c;
FETCH FIRST FROM c;
COMMIT;
SQL
)" "$(owner "$mid" 9)
$(nth 19)
$(nth 11)"

echo "== 2. row_security off in the session: the same"
expect "operator" "$(one "$(SETUP='SET row_security = off;' page "$mid" 9)")" "queries: 0|$(owner "$mid" 9)"

echo "== 3. a DBA's policy on events: the query runs, the policy holds"
psql -qX -v ON_ERROR_STOP=1 -d $db -c \
    "CREATE POLICY dba_hide ON woes.events AS RESTRICTIVE FOR SELECT USING (kind <> 'message.created')"
expect "operator" "$(one "$(page 0 1000)")" "queries: 1|$(owner 0 1000 "AND kind <> 'message.created'")"
expect "row_security off in the session" "$(one "$(SETUP='SET row_security = off;' page 0 1000)")" \
    "queries: 1|$(owner 0 1000 "AND kind <> 'message.created'")"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "DROP POLICY dba_hide ON woes.events"
expect "the policy dropped" "$(one "$(page 0 1000)")" "queries: 0|$(owner 0 1000)"

echo "== 4. woes's own read policy rewritten: the query runs, the policy holds"
original=$(psql -qX -At -d $db -c "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
                                    WHERE polrelid = 'woes.events'::regclass AND polname = 'events_read'")
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY events_read ON woes.events
    USING ($original AND kind <> 'conversation.created')"
expect "operator" "$(one "$(page 0 1000)")" "queries: 1|$(owner 0 1000 "AND kind <> 'conversation.created'")"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY events_read ON woes.events USING ($original)"
expect "put back" "$(one "$(page 0 1000)")" "queries: 0|$(owner 0 1000)"

echo "== 5. without SELECT on events: the query refuses"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "REVOKE SELECT ON woes.events FROM woes_service"
expect "operator" "$(one "$(page 0 10)")" "queries: 1|ERROR:  permission denied for table events"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "GRANT SELECT ON woes.events TO woes_service"

echo "== 6. a column added with a default, then dropped"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.events ADD COLUMN dba_note text DEFAULT 'before'"
expect "the default in the rows before it" "$(page 0 1000 | sed -n 2p)" "$(owner 0 1000)"
expect "no query" "$(page 0 1000 | sed -n 1p)" "queries: 0"
expect "the owner's rows carry it" "$(psql -qX -At -d $db -c "SELECT count(*) FILTER (WHERE dba_note = 'before') > 25 FROM woes.events")" "t"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.events DROP COLUMN dba_note"
expect "dropped" "$(one "$(page 0 1000)")" "queries: 0|$(owner 0 1000)"
# from PostgreSQL 18 a generated column is virtual (stored as NULL, computed
# by the query): the query runs
if [ "$(psql -qX -At -d $db -c "SHOW server_version_num")" -ge 180000 ]; then
    psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.events ADD COLUMN doubled bigint GENERATED ALWAYS AS (id * 2) VIRTUAL"
    expect "a virtual generated column" "$(one "$(page 0 1000)")" "queries: 1|$(owner 0 1000)"
    psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.events DROP COLUMN doubled"
fi

echo "== 7. a role bound to the operator audience, with only the outbox's grants"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
DROP ROLE IF EXISTS woes_direct_outbox_consumer;
CREATE ROLE woes_direct_outbox_consumer LOGIN PASSWORD 'outbox-consumer';
GRANT USAGE ON SCHEMA woes TO woes_direct_outbox_consumer;
GRANT SELECT ON woes.events TO woes_direct_outbox_consumer;
GRANT EXECUTE ON FUNCTION woes.events_since(bigint, integer) TO woes_direct_outbox_consumer;
SELECT woes.bind_role('woes_direct_outbox_consumer', id, 'operator') FROM woes.workspaces WHERE slug = 'one' \g /dev/null
SQL
consumer=$(PGPASSWORD=outbox-consumer psql -qX -At -d $db -U woes_direct_outbox_consumer 2>&1 <<SQL
SELECT 'rows: ' || count(*) || ' ' || coalesce(md5(string_agg(e::text, ',' ORDER BY e.id)), '-')
  FROM woes.events_since($mid, 9) e;
SQL
)
expect "the bound role" "$consumer" "$(owner "$mid" 9)"
psql -qX -d $db -c "SELECT woes.unbind_role('woes_direct_outbox_consumer')" -c "DROP OWNED BY woes_direct_outbox_consumer" \
    -c "DROP ROLE woes_direct_outbox_consumer" >/dev/null

echo "== 8. the read policies the page stands on"
expect "SELECT policies" "$(psql -qX -At -d $db -c "SELECT string_agg(polname || ': ' || pg_get_expr(polqual, polrelid),
        ' | ' ORDER BY polname) FROM pg_policy WHERE polrelid = 'woes.events'::regclass AND polcmd IN ('r', '*')")" \
    "events_read: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{operator,admin}'::woes.audience[])) | workspace_isolation: (workspace_id = woes.current_workspace())"

echo "OK"

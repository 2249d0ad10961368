#!/usr/bin/env bash
# An audit module sees every statement woes runs for the caller, as it did
# before woes wrote rows and probed keys directly.  pgaudit (session and
# object audit) hooks the executor's permission check
# (ExecutorCheckPerms_hook), which only a statement passes through; with such
# a hook loaded, the direct paths that stand for a statement -- the context
# check's SELECTs, the status API's UPDATE of the conversation, the intake's
# lookups and its INSERT of the message, the outbox's page -- run that
# statement
# (woes_permissions_hooked in src/rowwriter.h).
#
# In a cluster of its own (pgaudit must be in shared_preload_libraries), as
# a member of woes_service with pgaudit.log = 'read, write' (session audit),
# pgaudit.role = an auditor role granted SELECT on woes.workspaces,
# woes.contacts and woes.events, UPDATE on woes.conversations and INSERT on woes.messages
# (object audit), and the audit lines sent to the client:
#   1. set_context as a customer: SELECT of woes.workspaces and of
#      woes.contacts audited, in both logs (the probes would pass no check);
#   2. set_pending: the UPDATE of woes.conversations audited, in the session
#      log and in the object log, and the conversation is pending;
#   3. receive_message, twice into one thread: the INSERT of woes.messages
#      audited, in both logs, and the intake's lookups of the channel, the
#      sender's identity, the thread's keys and the sender's participation
#      (SELECTs), and the messages are stored;
#   3b. events_since: the SELECT of woes.events audited, in both logs, and
#      the page has the events;
#   4. the role no longer audited (pgaudit still loaded, so the statements
#      still run): no audit line, and the calls do what they did.
# Needs the pgaudit package of the server's major (test/run installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
. "$here/test/lib/checks.sh"
major=${WOES_PG:-$("$here/test/pg-major")}

if [ "${1:-}" != --inside ]; then
    [ -f "/usr/lib/postgresql/$major/lib/pgaudit.so" ] || {
        echo "FAIL: pgaudit for PostgreSQL $major is not installed (postgresql-$major-pgaudit)"; exit 1; }
    # a cluster of its own, beside the suite's (another port)
    PGPORT=$(( ${PGPORT:-5432} + 1 )) exec pg_virtualenv -t -v "$major" \
        -o shared_preload_libraries=pgaudit -o pgaudit.log_client=on -o pgaudit.log_level=notice \
        -o pgaudit.log_relation=on -o pgaudit.log_parameter=off \
        bash "$0" --inside
fi

pw="audit-$$-$RANDOM$RANDOM"
psql -qX -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION woes;
CREATE ROLE audit_app LOGIN PASSWORD '$pw' IN ROLE woes_service;
CREATE ROLE auditor NOLOGIN;
GRANT SELECT ON woes.workspaces, woes.contacts, woes.events TO auditor;
GRANT UPDATE ON woes.conversations TO auditor;
GRANT INSERT ON woes.messages TO auditor;
SELECT woes.create_workspace('audited', 'Audited') \g /dev/null
BEGIN;
SELECT woes.set_context((SELECT id FROM woes.workspaces), 'admin') \g /dev/null
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', woes.upsert_contact('api', 'c-1'));
COMMIT;
SQL
ws=$(psql -XAtc "SELECT id FROM woes.workspaces")
contact=$(psql -XAtc "SELECT id FROM woes.contacts WHERE workspace_id = '$ws'")
conv=$(psql -XAtc "SELECT id FROM woes.conversations WHERE workspace_id = '$ws'")

# calls as audit_app (its own session: pgaudit logs the statements of the
# session user's own role); prints the audit lines, then the results
calls() {   # calls N: the N-th round (a fresh message each)
    PGUSER=audit_app PGPASSWORD=$pw psql -qXAt -v ON_ERROR_STOP=1 2>&1 <<SQL
BEGIN;
SELECT woes.set_context('$ws', 'customer', '$contact') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context('$ws', 'operator') \g /dev/null
SELECT woes.reopen('$conv') \g /dev/null
SELECT woes.set_pending('$conv') \g /dev/null
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'hello $1', 'm-$1') \g /dev/null
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'again $1', 'm-$1-again') \g /dev/null
SELECT 'status ' || status FROM woes.conversations WHERE id = '$conv';
SELECT 'messages ' || count(*) FROM woes.messages WHERE external_id LIKE 'm-$1%';
SELECT 'outbox ' || (count(*) > 0) FROM woes.events_since(0);
COMMIT;
SQL
}
# audited LINES CLASS COMMAND TABLE: the audit lines of the kind (SESSION or OBJECT)
audited() {
    grep -E "AUDIT: $2,[0-9]+,[0-9]+,[A-Z]+,$3,TABLE,$4," <<<"$1" | wc -l
}

psql -qX -c "ALTER ROLE audit_app SET pgaudit.log = 'read, write'" -c "ALTER ROLE audit_app SET pgaudit.role = 'auditor'"
out=$(calls 1)

echo "== 1. set_context: the context check's SELECTs are audited"
at_least "SELECT of woes.workspaces" "$(audited "$out" SESSION SELECT woes.workspaces)" 2
at_least "SELECT of woes.contacts" "$(audited "$out" SESSION SELECT woes.contacts)" 1
at_least "object log, woes.workspaces" "$(audited "$out" OBJECT SELECT woes.workspaces)" 2
at_least "object log, woes.contacts" "$(audited "$out" OBJECT SELECT woes.contacts)" 1

echo "== 2. set_pending: the UPDATE of woes.conversations is audited"
at_least "session log" "$(audited "$out" SESSION UPDATE woes.conversations)" 2
at_least "object log" "$(audited "$out" OBJECT UPDATE woes.conversations)" 2
grep -qx "status pending" <<<"$out" || fail "the conversation is not pending: $out"

echo "== 3. receive_message: the INSERT of woes.messages is audited"
at_least "session log" "$(audited "$out" SESSION INSERT woes.messages)" 1
at_least "object log" "$(audited "$out" OBJECT INSERT woes.messages)" 1
# per table, at least the lookups of the two messages (the first message of
# the thread finds no participation to look up; channels and identities are
# read by one more statement of the first message, a new thread's)
for t in channels:3 identities:3 thread_refs:2 participants:1; do
    at_least "the intake's lookups of woes.${t%:*}" "$(audited "$out" SESSION SELECT "woes.${t%:*}")" "${t#*:}"
done
grep -qx "messages 2" <<<"$out" || fail "the messages are not stored: $out"

echo "== 3b. events_since: the SELECT of woes.events is audited"
at_least "session log" "$(audited "$out" SESSION SELECT woes.events)" 1
at_least "object log" "$(audited "$out" OBJECT SELECT woes.events)" 1
grep -qx "outbox true" <<<"$out" || fail "the outbox reads no event: $out"

echo "== 4. the role no longer audited: no audit line, the calls do what they did"
psql -qX -c "ALTER ROLE audit_app RESET pgaudit.log" -c "ALTER ROLE audit_app RESET pgaudit.role"
out=$(calls 2)
expect "audit lines" "$(grep -c 'AUDIT:' <<<"$out" || true)" 0
grep -qx "status pending" <<<"$out" || fail "the conversation is not pending: $out"
grep -qx "messages 2" <<<"$out" || fail "the messages are not stored: $out"
grep -qx "outbox true" <<<"$out" || fail "the outbox reads no event: $out"
echo "ok"

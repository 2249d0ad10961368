#!/usr/bin/env bash
# A message's update of its conversation, and a status change, are written
# directly (src/rowupdate.c), not by an UPDATE statement, only where the
# statement could do nothing more; and the direct write keeps what the
# statement does.  auto_explain, logging
# nested statements, shows whether the statement ran (each plan it logs
# comes with the statement's text, which names "UPDATE woes.conversations"):
#   1. a plain database: no statement, and the message's effects are there
#      (reopen, reply clocks, metrics, the implicit takeover);
#   2. a DBA's row trigger declared UPDATE OF last_message_at fires for each
#      public message, as for the statement's SET list, and still no
#      statement runs;
#   3. a DBA's CHECK constraint on conversations refuses the message whose
#      update breaks it (23514, naming it), with nothing written; dropped,
#      the same message goes through;
#   3b. a DBA's CHECK calling a function: the function replaced, the next
#      message's update is judged by its new definition (the planned CHECKs
#      are planned again);
#   4. a DBA's BEFORE row trigger that skips the row: the message finds no
#      conversation (P0002), as with the statement;
#   4b. a DBA's BEFORE row trigger that updates the same row with a statement
#      of its own: the message and a status change fail with the statement's
#      error (27000, suggesting an AFTER trigger), nothing written;
#   5. a DBA's statement trigger on UPDATE: the statement runs, and its
#      trigger fires once per message;
#   6. a DBA's rule on UPDATE: the statement runs;
#   7. woes.transition and its shorthands, as a member of woes_service (row
#      level security applies to it): no statement, the changes and their
#      history are there;
#   8. a DBA's own policy on conversations (restrictive, FOR UPDATE): the
#      statement runs as the caller and the policy holds (set_pending of an
#      api conversation changes nothing); and woes's own UPDATE policy
#      narrowed TO some roles, its comment kept: the statement runs too;
#      and its USING rewritten by ALTER POLICY (TO PUBLIC and its comment
#      kept): the statement runs and the rewritten policy holds; put back
#      as it was, no statement again; and dropped: the statement runs (and
#      updates nothing); made again as it was, with its comment, no
#      statement again; every policy of the table dropped (rolled back):
#      the statement runs;
#   9. the UPDATE privilege on conversations revoked from woes_service: the
#      statement runs as the caller and refuses set_pending (42501);
#  10. what the direct status change stands on: woes's UPDATE policy on
#      conversations admits the audiences the status API admits (agent,
#      operator, admin), and its SELECT policy lets each read every row;
#  11. a read-only transaction: the statement refuses the status change
#      (25006), nothing is written first.
# What a concurrent change of the conversation does to the direct write
# (READ COMMITTED follows it, REPEATABLE READ fails with 40001) is the
# isolation spec 40_messages_concurrent_update.
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
. "$(dirname "$0")/../lib/checks.sh"
role=woes_direct_update_app
scratch_db woes_direct_update_test $role
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
SELECT woes.create_workspace('direct', 'Direct') \g /dev/null
CREATE FUNCTION ctx(aud woes.audience DEFAULT 'operator') RETURNS void LANGUAGE sql AS $$
    SELECT woes.set_context((SELECT id FROM woes.workspaces WHERE slug = 'direct'), aud,
                            CASE WHEN aud::text = 'customer' THEN (SELECT id FROM woes.contacts) END) $$;
CREATE FUNCTION conv(n bigint DEFAULT 1) RETURNS uuid LANGUAGE sql AS $$
    SELECT id FROM woes.conversations WHERE number = n $$;
BEGIN;
SELECT ctx();
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', woes.upsert_contact('api', 'c-1'));
SELECT woes.set_pending(conv()) \g /dev/null
COMMIT;
SQL

# run the SQL lines in one transaction as the given audience, with
# auto_explain on; prints the number of UPDATE statements on conversations
# it ran, then its errors
write() {  # write AUDIENCE SQL... (ROLE=name: as that role)
    local aud=$1; shift
    local out
    out=$(psql -qX -d $db 2>&1 <<SQL
SET client_min_messages = notice;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SET auto_explain.log_format = json;
SELECT id AS ws FROM woes.workspaces WHERE slug = 'direct' \gset
SELECT id AS contact FROM woes.contacts \gset
${ROLE:+SET ROLE $ROLE;}
BEGIN;
SELECT woes.set_context(:'ws', '$aud', CASE '$aud' WHEN 'customer' THEN :'contact'::uuid END) \g /dev/null
$(printf '%s\n' "$@")
COMMIT;
SQL
)
    echo "statements: $(grep -c 'UPDATE woes.conversations' <<<"$out" || true)"
    # each error, and where it was raised (VERBOSITY verbose)
    awk '/^ERROR/ { print; e = 1; next }
         e && /^LOCATION/ { print; e = 0; next }
         e && /^(DETAIL|HINT|CONTEXT|QUERY|[[:space:]])/ { next }
         { e = 0 }' <<<"$out"
}
customer="INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
          VALUES (conv(), 'customer', woes.current_actor(), 'hello');"
operator="INSERT INTO woes.messages (conversation_id, author_kind, body) VALUES (conv(), 'operator', 'hi');"
state() {
    psql -qX -At -F ' ' -d $db -c "SELECT ctx()" -c "SELECT status, control, unanswered_count,
        waiting_since IS NOT NULL, first_customer_message_at IS NOT NULL, first_response_at IS NOT NULL,
        first_human_response_at IS NOT NULL, first_operator_message_at IS NOT NULL,
        (SELECT count(*) FROM woes.messages), (SELECT count(*) FROM woes.status_events)
        FROM woes.conversations WHERE number = 1" | tail -1
}

echo "== 1. plain: written directly"
r=$(write customer "$customer"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
# pending reopened, waiting, one unanswered, the first customer message kept
expect "after the customer" "$(state)" "open operator 1 t t f f f 1 3"
r=$(write operator "$operator"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
expect "after the operator" "$(state)" "open operator 0 f t t t t 2 3"

echo "== 2. a DBA's row trigger UPDATE OF last_message_at fires"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE TABLE touched (n int);
CREATE FUNCTION count_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.touched VALUES (1); RETURN NEW; END $$;
CREATE TRIGGER zz_touched BEFORE UPDATE OF last_message_at ON woes.conversations
    FOR EACH ROW EXECUTE FUNCTION count_touch();
SQL
r=$(write customer "$customer" "$customer"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
expect "row trigger fired" "$(psql -qX -At -d $db -c 'SELECT count(*) FROM touched')" "2"
psql -qX -d $db -c "DROP TRIGGER zz_touched ON woes.conversations"

echo "== 3. a DBA's CHECK constraint applies"
psql -qX -v ON_ERROR_STOP=1 -d $db -c \
    "ALTER TABLE woes.conversations ADD CONSTRAINT few_unanswered CHECK (unanswered_count < 3) NOT VALID"
before=$(state)
r=$(write customer "$customer"); echo "$r"
grep -q 'ERROR:  new row for relation "conversations" violates check constraint "few_unanswered"' <<<"$r" ||
    fail "the CHECK constraint did not refuse the message"
expect "nothing written" "$(state)" "$before"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.conversations DROP CONSTRAINT few_unanswered"
r=$(write customer "$customer"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
expect "after the drop" "$(state)" "open operator 3 t t t t t 5 3"

echo "== 3b. a CHECK calling a function: its definition at the time applies"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE FUNCTION public.unanswered_cap() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 1000';
ALTER TABLE woes.conversations ADD CONSTRAINT capped CHECK (unanswered_count < public.unanswered_cap()) NOT VALID;
SQL
# the first message plans the CHECK in this backend (the function inlined:
# 1000); the function replaced in the same transaction, the second is refused
r=$(write customer "$customer" \
    "CREATE OR REPLACE FUNCTION public.unanswered_cap() RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT 0';" \
    "$customer"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
expect "the first error" "$(sed -n 2p <<<"$r")" \
    'ERROR:  new row for relation "conversations" violates check constraint "capped"'
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER TABLE woes.conversations DROP CONSTRAINT capped" \
    -c "DROP FUNCTION public.unanswered_cap()"

echo "== 4. a DBA's BEFORE row trigger skips the row"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE FUNCTION skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER zz_skip BEFORE UPDATE ON woes.conversations FOR EACH ROW EXECUTE FUNCTION skip_row();
SQL
r=$(write operator "\\set VERBOSITY terse" "$operator"); echo "$r"
grep -q 'ERROR:  conversation not found in this workspace' <<<"$r" || fail "the skipped row was not 'not found'"
psql -qX -d $db -c "DROP TRIGGER zz_skip ON woes.conversations"

echo "== 4b. a DBA's BEFORE row trigger that updates the row itself: the statement's error"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE FUNCTION self_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- (not fired again: the trigger is declared on other columns)
    UPDATE woes.conversations SET subject = 'changed' WHERE workspace_id = NEW.workspace_id AND id = NEW.id;
    RETURN NEW;
END $$;
CREATE TRIGGER zz_self BEFORE UPDATE OF last_message_at, status ON woes.conversations
    FOR EACH ROW EXECUTE FUNCTION self_update();
SQL
before=$(state)
for call in "$operator" "SELECT woes.set_pending(conv());"; do
    r=$(write operator "\\set VERBOSITY verbose" "$call"); echo "$r"
    expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 1"
    expect "error" "$(sed -n 2p <<<"$r")" \
        "ERROR:  27000: tuple to be updated was already modified by an operation triggered by the current command"
    # raised by the direct update (the statement's own is ExecUpdate's)
    expect "raised by" "$(grep -c 'LOCATION:  update_row, rowupdate.c' <<<"$r")" 1
done
expect "nothing written" "$(state)" "$before"
psql -qX -d $db -c "DROP TRIGGER zz_self ON woes.conversations"

echo "== 5. a DBA's statement trigger on UPDATE: the statement runs"
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
TRUNCATE touched;
CREATE FUNCTION count_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO public.touched VALUES (2); RETURN NULL; END $$;
CREATE TRIGGER dba_statement BEFORE UPDATE ON woes.conversations
    FOR EACH STATEMENT EXECUTE FUNCTION count_statement();
SQL
r=$(write operator "$operator" "$operator"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 2"
expect "statement trigger fired" "$(psql -qX -At -d $db -c 'SELECT count(*) FROM touched WHERE n = 2')" "2"
psql -qX -d $db -c "DROP TRIGGER dba_statement ON woes.conversations"
r=$(write operator "$operator"); echo "$r"
expect "UPDATE statements run, the trigger dropped" "$(head -1 <<<"$r")" "statements: 0"

echo "== 6. a DBA's rule on UPDATE: the statement runs"
psql -qX -v ON_ERROR_STOP=1 -d $db -c \
    "CREATE RULE dba_rule AS ON UPDATE TO woes.conversations DO ALSO INSERT INTO touched VALUES (3)"
r=$(write operator "$operator"); echo "$r"
# two plans of the statement's text: the UPDATE and the rule's action
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 2"
expect "rule ran" "$(psql -qX -At -d $db -c 'SELECT count(*) FROM touched WHERE n = 3')" "1"
psql -qX -d $db -c "DROP RULE dba_rule ON woes.conversations"

echo "== 7. woes.transition as a member of woes_service: written directly"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());" "SELECT woes.snooze(conv(), now() + interval '1 day');" \
    "SELECT woes.transition(conv(), 'snoozed', 'later', now() + interval '2 days');" "SELECT woes.reopen(conv());"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 0"
expect "history" "$(psql -qX -At -d $db -c "SELECT ctx()" -c "SELECT string_agg(coalesce(from_status::text, '-') || '>' || to_status, ' ' ORDER BY id) FROM woes.status_events" | tail -1)" \
    "->open open>pending pending>open open>pending pending>snoozed snoozed>snoozed snoozed>open"

echo "== 8. a DBA's policy on conversations: the statement runs, the policy holds"
psql -qX -v ON_ERROR_STOP=1 -d $db -c \
    "CREATE POLICY dba_no_api ON woes.conversations AS RESTRICTIVE FOR UPDATE USING (channel <> 'api')"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv()) AS changed \\gset" "\\echo changed :changed"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 1"
expect "status" "$(state | cut -d' ' -f1)" "open"
psql -qX -d $db -c "DROP POLICY dba_no_api ON woes.conversations"
# woes's own policy narrowed to some roles (its comment kept): not as woes made it
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY conversations_staff_update ON woes.conversations TO woes_admin"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());"); echo "$r"
expect "UPDATE statements run, woes's policy narrowed" "$(head -1 <<<"$r")" "statements: 1"
expect "status" "$(state | cut -d' ' -f1)" "open"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY conversations_staff_update ON woes.conversations TO PUBLIC"
# woes's own policy rewritten (for every role, its comment kept): not as woes made it either
original=$(psql -qX -At -d $db -c "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
                                    WHERE polrelid = 'woes.conversations'::regclass AND polname = 'conversations_staff_update'")
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY conversations_staff_update ON woes.conversations
    USING ($original AND channel <> 'api')"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());"); echo "$r"
expect "UPDATE statements run, woes's policy rewritten" "$(head -1 <<<"$r")" "statements: 1"
expect "status" "$(state | cut -d' ' -f1)" "open"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY conversations_staff_update ON woes.conversations USING ($original)"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());" "SELECT woes.reopen(conv());"); echo "$r"
expect "UPDATE statements run, put back" "$(head -1 <<<"$r")" "statements: 0"
# woes's own policy dropped: the statements admit less, and so the statement runs; made again with
# its expressions and comment, written directly again
check=$(psql -qX -At -d $db -c "SELECT pg_get_expr(polwithcheck, polrelid) FROM pg_policy
                                 WHERE polrelid = 'woes.conversations'::regclass AND polname = 'conversations_staff_update'")
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
CREATE TABLE kept_comment AS SELECT obj_description(oid, 'pg_policy') AS comment FROM pg_policy
 WHERE polrelid = 'woes.conversations'::regclass AND polname = 'conversations_staff_update';
DROP POLICY conversations_staff_update ON woes.conversations;
SQL
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());"); echo "$r"
expect "UPDATE statements run, woes's policy dropped" "$(head -1 <<<"$r")" "statements: 1"
expect "status" "$(state | cut -d' ' -f1)" "open"
psql -qX -v ON_ERROR_STOP=1 -d $db <<SQL
CREATE POLICY conversations_staff_update ON woes.conversations FOR UPDATE USING ($original) WITH CHECK ($check);
SELECT comment FROM kept_comment \gset
COMMENT ON POLICY conversations_staff_update ON woes.conversations IS :'comment';
DROP TABLE kept_comment;
SQL
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());" "SELECT woes.reopen(conv());"); echo "$r"
expect "UPDATE statements run, made again" "$(head -1 <<<"$r")" "statements: 0"
# every policy of conversations dropped, the restrictive one too (in a transaction rolled back): no
# fingerprint is left to mismatch, but the statement admits no row, so it runs
id=$(psql -qX -At -d $db -c "SELECT id FROM woes.conversations WHERE number = 1")
r=$(ROLE=$role write operator "RESET ROLE;" \
    "DO \$\$ DECLARE p name; BEGIN FOR p IN SELECT polname FROM pg_policy WHERE polrelid = 'woes.conversations'::regclass
         LOOP EXECUTE format('DROP POLICY %I ON woes.conversations', p); END LOOP; END \$\$;" \
    "SET ROLE $role;" "SELECT woes.set_pending('$id');" "ROLLBACK;"); echo "$r"
expect "UPDATE statements run, every policy dropped" "$(head -1 <<<"$r")" "statements: 1"
expect "policies" "$(psql -qX -At -d $db -c "SELECT count(*) FROM pg_policy WHERE polrelid = 'woes.conversations'::regclass")" "7"

echo "== 9. without UPDATE on conversations: the statement refuses"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "REVOKE UPDATE ON woes.conversations FROM woes_service"
r=$(ROLE=$role write operator "SELECT woes.set_pending(conv());"); echo "$r"
expect "UPDATE statements run" "$(head -1 <<<"$r")" "statements: 1"
grep -q 'ERROR:  permission denied for table conversations' <<<"$r" || fail "no permission error"
expect "status" "$(state | cut -d' ' -f1)" "open"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "GRANT UPDATE ON woes.conversations TO woes_service"

echo "== 10. the policies the status API vouches for"
expect "UPDATE and SELECT policies" "$(psql -qX -At -d $db -c "SELECT string_agg(polname || ': ' ||
        pg_get_expr(polqual, polrelid), ' | ' ORDER BY polname) FROM pg_policy
     WHERE polrelid = 'woes.conversations'::regclass AND polcmd IN ('w', 'r', '*') AND polpermissive")" \
    "conversations_customer_read: ((workspace_id = woes.current_workspace()) AND (woes.in_audience('{customer}'::woes.audience[]) AND (contact_id = woes.current_actor()))) | conversations_staff_read: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{agent,operator,analyst,admin}'::woes.audience[])) | conversations_staff_update: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{agent,operator,admin}'::woes.audience[]))"

echo "== 11. a read-only transaction: the statement refuses it"
r=$(ROLE=$role write operator "SET TRANSACTION READ ONLY;" "SELECT woes.set_pending(conv());"); echo "$r"
grep -q 'ERROR:  cannot execute UPDATE in a read-only transaction' <<<"$r" || fail "no read-only error"

echo "OK"

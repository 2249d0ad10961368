#!/usr/bin/env bash
# The context's check (the workspace exists, the actor is a contact, agent
# or operator of it, as row-level security lets the caller see them) is a
# btree probe (src/probe.c, context_check.c), not a query through SPI, only
# where the query could not answer otherwise; and it answers as the query
# did.  auto_explain, logging nested statements, shows whether the query
# ran (its text begins "SELECT 1 FROM woes."):
#   1. as a member of woes_service (row-level security applies), for each
#      audience: no query, and the context is set;
#   2. the refusals are the query's: a workspace that does not exist, an
#      actor of another workspace, an actor of the wrong kind, no actor
#      (WO004 each, with the same messages);
#   3. a DBA's own policy on contacts (restrictive, FOR SELECT): the query
#      of contacts runs (the workspace's is still probed) and the policy holds (the hidden contact is not a contact);
#      dropped, no query again;
#   4. woes's own read policy on contacts narrowed TO some roles (its
#      comment kept): the query runs and the narrowed policy holds;
#   4b. its USING rewritten by ALTER POLICY (TO PUBLIC and its comment
#      kept): the query runs and the rewritten policy holds, woes.doctor()
#      names it; its expression put back as it was, probed again;
#   5. SELECT on contacts revoked from woes_service: the query runs and
#      refuses (42501), as before;
#   6. what the probe stands on: the read policies of the four tables, as
#      woes ships them (a change to them fails here: see context_check.c).
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
. "$(dirname "$0")/../lib/checks.sh"
role=woes_direct_context_app
scratch_db woes_direct_context_test $role
psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
SELECT woes.create_workspace('one', 'One') \g /dev/null
SELECT woes.create_workspace('two', 'Two') \g /dev/null
-- per workspace: two contacts (one to hide), an operator, an agent
CREATE TABLE people (slug text, kind text, name text, id uuid);
GRANT SELECT ON people TO PUBLIC;
DO $$
DECLARE
    w record;
BEGIN
    FOR w IN SELECT id, slug FROM woes.workspaces LOOP
        PERFORM woes.set_context(w.id, 'admin');
        INSERT INTO people SELECT w.slug, 'contact', n, woes.upsert_contact('api', n, n) FROM unnest('{shown,hidden}'::text[]) n;
        INSERT INTO woes.operators (name, email) VALUES ('Olga', 'olga@' || w.slug || '.test');
        INSERT INTO woes.agents (name) VALUES ('bot');
        INSERT INTO people SELECT w.slug, 'operator', 'Olga', id FROM woes.operators WHERE workspace_id = w.id;
        INSERT INTO people SELECT w.slug, 'agent', 'bot', id FROM woes.agents WHERE workspace_id = w.id;
        PERFORM woes.clear_context();
    END LOOP;
END $$;
SQL

# set a context as $role with auto_explain on: prints the number of check
# queries run, then the errors.  ctx WORKSPACE_SLUG AUDIENCE ACTOR_SLUG KIND NAME
ctx() {
    local ws=$1 aud=$2 actor_ws=$3 kind=$4 name=$5 out
    out=$(psql -qX -At -d $db 2>&1 <<SQL
SET client_min_messages = notice;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_level = notice;
SELECT coalesce((SELECT id::text FROM woes.workspaces WHERE slug = '$ws'), '01a24391-0000-7000-8000-000000000000') AS ws \gset
SELECT coalesce((SELECT id::text FROM people WHERE slug = '$actor_ws' AND kind = '$kind' AND name = '$name'), '') AS actor \gset
SET ROLE ${ROLE:-$role};
\\set VERBOSITY default
BEGIN;
SELECT woes.set_context(:'ws', '$aud', NULLIF(:'actor', '')::uuid) \\g /dev/null
SELECT 'audience ' || woes.current_audience() AS audience;
COMMIT;
SQL
)
    echo "queries: $(grep -c 'SELECT 1 FROM woes\.' <<<"$out" || true)"
    grep -E '^(ERROR|audience)' <<<"$out" | grep -v 'current transaction is aborted' || true
}

echo "== 1. as a member of woes_service: probed, no query"
expect "customer" "$(one "$(ctx one customer one contact shown)")" "queries: 0|audience customer"
expect "agent" "$(one "$(ctx one agent one agent bot)")" "queries: 0|audience agent"
expect "operator" "$(one "$(ctx one operator one operator Olga)")" "queries: 0|audience operator"
expect "operator, no actor" "$(one "$(ctx one operator one none none)")" "queries: 0|audience operator"
expect "analyst" "$(one "$(ctx one analyst one operator Olga)")" "queries: 0|audience analyst"
expect "admin, as the superuser" "$(one "$(ROLE=postgres ctx one admin one operator Olga)")" "queries: 0|audience admin"

echo "== 2. the refusals are the query's"
expect "no such workspace" "$(ctx missing operator one none none | sed -n 2p)" \
    "ERROR:  workspace 01a24391-0000-7000-8000-000000000000 does not exist"
expect "another workspace's contact" "$(ctx one customer two contact shown | sed -n 2p | sed 's/[0-9a-f-]\{36\}/ID/')" \
    "ERROR:  actor ID is not a contact of this workspace"
expect "an operator as a customer" "$(ctx one customer one operator Olga | sed -n 2p | sed 's/[0-9a-f-]\{36\}/ID/')" \
    "ERROR:  actor ID is not a contact of this workspace"
expect "a contact as an agent" "$(ctx one agent one contact shown | sed -n 2p | sed 's/[0-9a-f-]\{36\}/ID/')" \
    "ERROR:  actor ID is not an agent of this workspace"
expect "another workspace's operator" "$(ctx one operator two operator Olga | sed -n 2p | sed 's/[0-9a-f-]\{36\}/ID/')" \
    "ERROR:  actor ID is not an operator of this workspace"
expect "a customer without an actor" "$(ctx one customer one none none | sed -n 2p)" \
    "ERROR:  the customer audience needs an actor"
expect "the hidden contact, before any DBA policy" "$(one "$(ctx one customer one contact hidden)")" "queries: 0|audience customer"

echo "== 3. a DBA's policy on contacts: the query runs, the policy holds"
psql -qX -v ON_ERROR_STOP=1 -d $db -c \
    "CREATE POLICY dba_hide ON woes.contacts AS RESTRICTIVE FOR SELECT USING (name IS DISTINCT FROM 'hidden')"
expect "the hidden contact" "$(ctx one customer one contact hidden | sed 's/[0-9a-f-]\{36\}/ID/' | one "$(cat)")" \
    "queries: 1|ERROR:  actor ID is not a contact of this workspace"
expect "the shown one" "$(one "$(ctx one customer one contact shown)")" "queries: 1|audience customer"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "DROP POLICY dba_hide ON woes.contacts"
expect "the policy dropped" "$(one "$(ctx one customer one contact hidden)")" "queries: 0|audience customer"

echo "== 4. woes's own read policy narrowed to some roles: the query runs, the policy holds"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY contacts_customer_read ON woes.contacts TO woes_admin"
expect "a customer" "$(ctx one customer one contact shown | sed 's/[0-9a-f-]\{36\}/ID/' | one "$(cat)")" \
    "queries: 1|ERROR:  actor ID is not a contact of this workspace"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY contacts_customer_read ON woes.contacts TO PUBLIC"
expect "restored" "$(one "$(ctx one customer one contact shown)")" "queries: 0|audience customer"

echo "== 4b. woes's own read policy on contacts rewritten: the query runs, the policy holds"
original=$(psql -qX -At -d $db -c "SELECT pg_get_expr(polqual, polrelid) FROM pg_policy
                                    WHERE polrelid = 'woes.contacts'::regclass AND polname = 'contacts_customer_read'")
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY contacts_customer_read ON woes.contacts
    USING ($original AND name IS DISTINCT FROM 'hidden')"
expect "the hidden contact" "$(ctx one customer one contact hidden | sed 's/[0-9a-f-]\{36\}/ID/' | one "$(cat)")" \
    "queries: 1|ERROR:  actor ID is not a contact of this workspace"
expect "the shown one" "$(one "$(ctx one customer one contact shown)")" "queries: 1|audience customer"
expect "doctor" "$(psql -qX -At -d $db -c "SELECT ok, detail FROM woes.doctor() WHERE \"check\" = 'policies_as_defined'")" \
    "f|contacts.contacts_customer_read"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "ALTER POLICY contacts_customer_read ON woes.contacts USING ($original)"
expect "put back" "$(one "$(ctx one customer one contact hidden)")" "queries: 0|audience customer"
expect "doctor, put back" "$(psql -qX -At -d $db -c "SELECT ok FROM woes.doctor() WHERE \"check\" = 'policies_as_defined'")" "t"

echo "== 5. without SELECT on contacts: the query refuses"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "REVOKE SELECT ON woes.contacts FROM woes_service"
expect "a customer" "$(one "$(ctx one customer one contact shown)")" \
    "queries: 1|ERROR:  permission denied for table contacts"
psql -qX -v ON_ERROR_STOP=1 -d $db -c "GRANT SELECT ON woes.contacts TO woes_service"

echo "== 6. the read policies the probe stands on"
expect "SELECT policies" "$(psql -qX -At -d $db -c "SELECT string_agg(polrelid::regclass || '.' || polname || ': ' ||
        pg_get_expr(polqual, polrelid), ' | ' ORDER BY polrelid::regclass::text, polname) FROM pg_policy
     WHERE polrelid IN ('woes.workspaces'::regclass, 'woes.contacts'::regclass, 'woes.agents'::regclass,
                        'woes.operators'::regclass) AND polcmd IN ('r', '*')")" \
    "woes.agents.agents_read: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{agent,operator,analyst,admin}'::woes.audience[])) | woes.agents.workspace_isolation: (workspace_id = woes.current_workspace()) | woes.contacts.contacts_customer_read: ((workspace_id = woes.current_workspace()) AND (woes.in_audience('{customer}'::woes.audience[]) AND (id = woes.current_actor()))) | woes.contacts.contacts_staff_read: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{agent,operator,admin}'::woes.audience[])) | woes.contacts.workspace_isolation: (workspace_id = woes.current_workspace()) | woes.operators.operators_read: ((workspace_id = woes.current_workspace()) AND woes.in_audience('{agent,operator,analyst,admin}'::woes.audience[])) | woes.operators.workspace_isolation: (workspace_id = woes.current_workspace()) | woes.workspaces.workspace_isolation: (id = woes.current_workspace()) | woes.workspaces.workspaces_read: ((id = woes.current_workspace()) AND (woes.current_audience() IS NOT NULL))"

echo "OK"

#!/usr/bin/env bash
# A module's own row-level security policies hold on the direct paths too.
# PostgreSQL lets a module add policies to every query through
# row_security_policy_hook_permissive/_restrictive; the relation's own
# policies, which the direct paths judge, do not show them.  With such a
# hook set, the direct paths run their statements (woes_permissions_hooked
# in src/rowwriter.h), and the module's policies apply as they would to the
# statement.
#
# The module here is built by the test (a few lines of C against the
# server's headers) and loaded into one session with LOAD: a restrictive
# policy "false" on UPDATE of woes.conversations, and one on SELECT of
# woes.events.  As a member of woes_service, in the operator audience:
#   1. without the module: set_pending changes the status (written
#      directly), and events_since reads the events (from the key);
#   2. with it: set_pending changes nothing, as the UPDATE statement under
#      that policy does (a DBA's restrictive policy does the same:
#      direct_update.sh 8), and events_since reads none, as its query under
#      that policy does (direct_outbox.sh 3);
#   3. without the module again, in a new session: set_pending works, and
#      the outbox reads (nothing stays behind).
set -euo pipefail
. "$(dirname "$0")/../lib/scratch_db.sh"
. "$(dirname "$0")/../lib/checks.sh"
role=woes_policy_hook_app
scratch_db woes_policy_hook_test $role

work=$(mktemp -d /tmp/woes_policy_hook.XXXXXX)
trap 'rm -rf "$work"; psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
chmod 755 "$work"
cat > "$work/policy_hook.c" <<'C'
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "nodes/makefuncs.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* no UPDATE of woes.conversations passes, and no event is read */
static List *
no_conversation_updates(CmdType cmd, Relation rel)
{
	RowSecurityPolicy *policy;
	Datum		role = ObjectIdGetDatum(ACL_ID_PUBLIC);
	char	   *schema = get_namespace_name(RelationGetNamespace(rel));
	const char *name = RelationGetRelationName(rel);
	bool		update = cmd == CMD_UPDATE && strcmp(name, "conversations") == 0;
	bool		read = cmd == CMD_SELECT && strcmp(name, "events") == 0;

	if (schema == NULL || strcmp(schema, "woes") != 0 || !(update || read))
		return NIL;
	policy = palloc0(sizeof(RowSecurityPolicy));
	policy->policy_name = pstrdup(update ? "module_no_updates" : "module_no_reads");
	policy->polcmd = update ? 'w' : 'r';
	policy->roles = construct_array(&role, 1, OIDOID, sizeof(Oid), true, TYPALIGN_INT);
	policy->permissive = false;
	policy->qual = (Expr *) makeBoolConst(false, false);
	policy->hassublinks = false;
	return list_make1(policy);
}

void
_PG_init(void)
{
	row_security_policy_hook_restrictive = no_conversation_updates;
}
C
pg_config=${PG_CONFIG:-pg_config}
# shellcheck disable=SC2046
$("$pg_config" --cc) $("$pg_config" --cflags_sl) -O2 -I"$("$pg_config" --includedir-server)" \
    -shared -o "$work/policy_hook.so" "$work/policy_hook.c"
chmod 755 "$work/policy_hook.so"

psql -qX -v ON_ERROR_STOP=1 -d $db <<'SQL'
SET client_min_messages = warning;
SELECT woes.create_workspace('hooked', 'Hooked') \g /dev/null
BEGIN;
SELECT woes.set_context((SELECT id FROM woes.workspaces), 'admin') \g /dev/null
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', woes.upsert_contact('api', 'c-1'));
COMMIT;
SQL

# calls [load]: as $role (with the module loaded into the session), set_pending
# in one transaction, then the status and a reopen in the next; prints the
# errors and the status
calls() {
    psql -qX -At -d $db 2>&1 <<SQL
${1:+LOAD '$work/policy_hook.so';}
SELECT id AS ws FROM woes.workspaces \gset
SELECT id AS conv FROM woes.conversations \gset
SET ROLE $role;
\\set VERBOSITY terse
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \\g /dev/null
SELECT woes.set_pending(:'conv') \\g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \\g /dev/null
SELECT 'status ' || status FROM woes.conversations;
SELECT woes.reopen(:'conv') \\g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \\g /dev/null
SELECT 'outbox ' || count(*) FROM woes.events_since(0);
COMMIT;
SQL
}

echo "== 1. without the module: set_pending changes the status"
expect "set_pending" "$(one "$(calls)")" "status pending|outbox 3"

echo "== 2. with the module's restrictive policies on UPDATE and SELECT: the statements run, the policies hold"
expect "set_pending, events_since" "$(one "$(calls load)")" "status open|outbox 0"

echo "== 3. without the module again: set_pending works, the outbox reads"
expect "set_pending, events_since" "$(one "$(calls)")" "status pending|outbox 5"
echo "ok"

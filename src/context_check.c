/*-------------------------------------------------------------------------
 *
 * context_check.c
 *		Is a context valid: the workspace exists, and the actor is a contact,
 *		an agent or an operator of it -- as row-level security lets the
 *		caller see them.  context.c runs it once per change of the context,
 *		before its first write; woes.check_context() runs it for a context
 *		about to be bound to a role.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/uuid.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "ids.h"
#include "probe.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_check_context_sql);

/*
 * Run a validation query (one row if valid) with uuid parameters under the
 * caller's own privileges and the context just set, so row-level security
 * decides what exists for this workspace and audience.  The plans are kept
 * (one per query: a backend sets its context once per transaction).
 *
 * On a Citus worker the rows are read from this node's shards (shards.c):
 * the check may run inside a statement Citus sent to a shard, which may not
 * start a distributed query.  When the workspace's shards are on another
 * node, the check cannot run here -- and need not: this node can then hold
 * no row of the context's workspace, so it writes none; a row of another
 * workspace is refused by the row check.  It is left for a node that holds
 * them (the context stays unchecked).
 *
 * On one server the query is a btree probe (probe.c) where it could not
 * answer otherwise: the caller may read the table, and row-level security
 * does not apply to the caller or applies only woes's own policies, which
 * admit the row the keys find when the context being checked is the one
 * in force (vouched): every policy on these tables tests the row's
 * workspace against the context's, which the key fixes; workspaces_read
 * admits every audience but none; contacts_customer_read a customer its
 * own contact, the actor; the agents' and the operators' read policies the
 * agent, operator, analyst and admin audiences, the ones checked against
 * those tables.  A context checked for binding to a role (check_context())
 * is not the one in force, so it is not vouched for.  The query was most
 * of what a set_context() call cost.
 */
typedef enum ContextQuery
{
	CQ_WORKSPACE,
	CQ_CONTACT,
	CQ_AGENT,
	CQ_OPERATOR,
	CQ_COUNT
} ContextQuery;

typedef enum ContextAnswer
{
	CA_NO,
	CA_YES,
	CA_ELSEWHERE				/* the rows are on another node */
} ContextAnswer;

static const struct
{
	const char *table;
	const char *query;			/* %s: the relation */
}			context_queries[CQ_COUNT] = {
	[CQ_WORKSPACE] = {"workspaces", "SELECT 1 FROM woes.%s WHERE id OPERATOR(pg_catalog.=) $1"},
	[CQ_CONTACT] = {"contacts", "SELECT 1 FROM woes.%s WHERE workspace_id OPERATOR(pg_catalog.=) $1"
	" AND id OPERATOR(pg_catalog.=) $2"},
	[CQ_AGENT] = {"agents", "SELECT 1 FROM woes.%s WHERE workspace_id OPERATOR(pg_catalog.=) $1"
	" AND id OPERATOR(pg_catalog.=) $2"},
	[CQ_OPERATOR] = {"operators", "SELECT 1 FROM woes.%s WHERE workspace_id OPERATOR(pg_catalog.=) $1"
	" AND id OPERATOR(pg_catalog.=) $2"},
};

/* the same lookups as probes: the primary keys */
static WoesProbe context_probes[CQ_COUNT] = {
	[CQ_WORKSPACE] = {"workspaces", {"id"}, 1},
	[CQ_CONTACT] = {"contacts", {"workspace_id", "id"}, 2},
	[CQ_AGENT] = {"agents", {"workspace_id", "id"}, 2},
	[CQ_OPERATOR] = {"operators", {"workspace_id", "id"}, 2},
};

static ContextAnswer
context_row_exists(ContextQuery q, Datum *values, bool vouched)
{
	static SPIPlanPtr plans[CQ_COUNT];
	Oid			types[2] = {UUIDOID, UUIDOID};
	int			nargs = q == CQ_WORKSPACE ? 1 : 2;
	WoesOwnerScope scope;
	int			ret;
	bool		found;
	int			pinned;

	if (ActiveSnapshotSet())
	{
		/* as SPI's read-only execution, under the active snapshot */
		switch (woes_probe_as_caller(&context_probes[q], values, GetActiveSnapshot(), vouched))
		{
			case WOES_PROBE_FOUND:
				return CA_YES;
			case WOES_PROBE_NONE:
				return CA_NO;
			case WOES_PROBE_USE_SQL:
				break;
		}
	}

	/*
	 * Row security decides, as the comment above says: with row_security
	 * off (SET LOCAL row_security = off before an API call) the query would
	 * fail for a role that row security applies to.  set_context() runs the
	 * check before such a SET; a context checked later -- on a Citus worker,
	 * where it arrives by SET LOCAL and is checked on its first use there,
	 * before the API pins row_security on -- must see the same.
	 */
	pinned = woes_pin_rules_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (woes_node() == WOES_NODE_WORKER)
	{
		Oid			local = woes_local_table(context_queries[q].table, DatumGetUUIDP(values[0]));
		char	   *query;

		if (!OidIsValid(local))
		{
			SPI_finish();
			woes_pin_rules_end(pinned);
			return CA_ELSEWHERE;
		}
		query = psprintf(context_queries[q].query, quote_identifier(get_rel_name(local)));
		ret = SPI_execute_with_args(query, nargs, types, values, NULL, true, 1);
	}
	else
	{
		if (plans[q] == NULL)
		{
			SPIPlanPtr	plan;

			/* parsed with a pinned search_path (run as the caller, though) */
			woes_owner_begin(&scope, InvalidOid);
			plan = SPI_prepare(psprintf(context_queries[q].query, context_queries[q].table),
							   nargs, types);
			woes_owner_end(&scope);
			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "could not prepare a context check");
			plans[q] = plan;
		}
		ret = SPI_execute_plan(plans[q], values, NULL, true, 1);
	}
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	found = SPI_processed > 0;
	SPI_finish();
	woes_pin_rules_end(pinned);
	return found ? CA_YES : CA_NO;
}

/*
 * check_context
 *		The one check of a context, whichever way it was set: the workspace
 *		exists, the customer and agent audiences have an actor, and the
 *		actor is a contact (customer), an agent (agent) or an operator
 *		(every staff audience) of that workspace -- so no row woes writes
 *		ever names a person of another workspace as its author or actor.
 *		Run by set_context() and, for a context set any other way (SET
 *		LOCAL, a role default), before its first write.  The ids in the
 *		messages are the caller's own settings.  Returns false if the check
 *		must be left to another node (see context_row_exists).
 */
bool
woes_check_context_values(const pg_uuid_t *workspace, int audience, const pg_uuid_t *actor,
						  bool in_force)
{
	bool		vouched = in_force && audience != WOES_AUDIENCE_NONE;
	ContextQuery actor_query;
	ContextAnswer answer;
	Datum		args[2];

	switch (audience)
	{
		case WOES_AUDIENCE_CUSTOMER:
			actor_query = CQ_CONTACT;
			break;
		case WOES_AUDIENCE_AGENT:
			actor_query = CQ_AGENT;
			break;
		default:
			actor_query = CQ_OPERATOR;
			break;
	}
	if (actor == NULL && (audience == WOES_AUDIENCE_CUSTOMER ||
						  audience == WOES_AUDIENCE_AGENT))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_CONTEXT),
				 errmsg("the %s audience needs an actor",
						woes_enum_label(&woes_audience_type, audience)),
				 errhint("Pass the %s id as actor.",
						 audience == WOES_AUDIENCE_CUSTOMER ? "contact" : "agent")));

	args[0] = UUIDPGetDatum((pg_uuid_t *) workspace);
	answer = context_row_exists(CQ_WORKSPACE, args, vouched);
	if (answer == CA_NO)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_CONTEXT),
				 errmsg("workspace %s does not exist", woes_uuid_text(workspace))));
	if (actor != NULL && answer == CA_YES)
	{
		args[1] = UUIDPGetDatum((pg_uuid_t *) actor);
		answer = context_row_exists(actor_query, args, vouched);
		if (answer == CA_NO)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_CONTEXT),
					 errmsg("actor %s is not a%s %s of this workspace",
							woes_uuid_text(actor),
							audience == WOES_AUDIENCE_CUSTOMER ? "" : "n",
							audience == WOES_AUDIENCE_CUSTOMER ? "contact" :
							audience == WOES_AUDIENCE_AGENT ? "agent" : "operator")));
	}
	return answer != CA_ELSEWHERE;
}

/*
 * check_context(workspace uuid, audience woes.audience, actor uuid) returns void
 *		The same check for a context that is not set (yet): woes.bind_role
 *		runs it on the binding it is about to write.  Run as the caller: in
 *		bind_role that is the owner, and the queries name the workspace.
 */
Datum
woes_check_context_sql(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_CONTEXT),
				 errmsg("workspace and audience must not be null")));
	woes_check_context_values(PG_GETARG_UUID_P(0), (uint8) PG_GETARG_CHAR(1),
							  PG_ARGISNULL(2) ? NULL : PG_GETARG_UUID_P(2), false);
	PG_RETURN_VOID();
}

/*-------------------------------------------------------------------------
 *
 * context.c
 *		The woes context: which workspace, audience and actor the current
 *		transaction acts for, and the checks that row-level security and the
 *		triggers build on.
 *
 * The context is three superuser-only settings, woes.workspace,
 * woes.audience and woes.actor.  Being settings (not C variables) they are
 * copied into parallel workers, undone at transaction end when set LOCAL,
 * forwarded by Citus as SET LOCAL, and usable as per-role defaults for tools
 * that cannot call a function first.  Being PGC_SUSET and under a reserved
 * prefix, no role can forge them with SET or set_config() unless it was
 * granted SET on them (woes_service and woes_admin are) or goes through
 * woes.set_context(), which checks membership and validates the values.
 *
 * The check hooks parse a setting once when it is set; the assign hooks keep
 * the parsed value in a static, so reading the context in a policy costs a
 * copy of 16 bytes, with no parsing, no lookup and no catalog access.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/supportnodes.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/uuid.h"

#include "compat.h"
#include "context.h"
#include "plans.h"
#include "enums.h"
#include "errcodes.h"
#include "forward.h"
#include "ids.h"
#include "scope.h"
#include "session.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_set_context);
PG_FUNCTION_INFO_V1(woes_clear_context);
PG_FUNCTION_INFO_V1(woes_current_workspace);
PG_FUNCTION_INFO_V1(woes_current_audience);
PG_FUNCTION_INFO_V1(woes_current_actor);
PG_FUNCTION_INFO_V1(woes_in_workspace);
PG_FUNCTION_INFO_V1(woes_in_audience);
PG_FUNCTION_INFO_V1(woes_in_audience_support);
PG_FUNCTION_INFO_V1(woes_require_context_trigger);
PG_FUNCTION_INFO_V1(woes_restoring_sql);
PG_FUNCTION_INFO_V1(woes_require_audience_sql);
PG_FUNCTION_INFO_V1(woes_switch_context);
PG_FUNCTION_INFO_V1(woes_context_workspace_sql);

/* the settings as text (owned by the GUC machinery) */
static char *workspace_setting = NULL;
static char *actor_setting = NULL;
static int	audience_setting = WOES_AUDIENCE_NONE;
static char *reason_setting = NULL;

/* parsed copies, kept by the assign hooks */
typedef struct ParsedId
{
	bool		valid;
	pg_uuid_t	id;
	int			size_class;		/* woes.workspace: the workspace's size class (plans.c), -1 unknown */
} ParsedId;

static ParsedId ctx_workspace;
static ParsedId ctx_actor;

/*
 * The context is checked against the tables (the workspace exists, the
 * actor is a contact, agent or operator of it) once per change, before its
 * first write: every assignment of one of the three settings -- SET, SET
 * LOCAL, a role default, set_context(), the undo at transaction or
 * subtransaction end -- bumps the generation, and a write finds it checked
 * only if the generation has not moved since.
 */
static uint64 ctx_generation = 1;
static uint64 ctx_checked_generation = 0;

/* what the transaction inherited is judged first: see session.c */
#define CTX_READY() \
	do { \
		if (unlikely(woes_session_unchecked)) \
			woes_session_check_inherited(); \
	} while (0)

static void check_context(void);
static Datum id_datum(const pg_uuid_t *id);


#define WOES_AUDIENCE_OPTION(name, label) {label, name, false},
static const struct config_enum_entry audience_options[] = {
	WOES_AUDIENCE_LABELS(WOES_AUDIENCE_OPTION)
	{NULL, 0, false}
};
#undef WOES_AUDIENCE_OPTION

/* the uuid settings: empty, or a uuid */
static bool
parse_id_setting(const char *value, ParsedId *parsed)
{
	memset(parsed, 0, sizeof(ParsedId));
	parsed->size_class = -1;
	if (value != NULL && value[0] != '\0')
	{
		if (!woes_uuid_parse(value, &parsed->id))
		{
			GUC_check_errcode(ERRCODE_INVALID_TEXT_REPRESENTATION);
			GUC_check_errdetail("The value must be a uuid, or empty for none.");
			return false;
		}
		parsed->valid = true;
	}
	return true;
}

static bool
keep_parsed(const ParsedId *parsed, void **extra)
{
	ParsedId   *kept = woes_guc_extra_alloc(sizeof(ParsedId));

	if (kept == NULL)
		return false;
	*kept = *parsed;
	*extra = kept;
	return true;
}

/* check hook of woes.actor */
static bool
check_id_setting(char **newval, void **extra, GucSource source)
{
	ParsedId	parsed;

	return parse_id_setting(*newval, &parsed) && keep_parsed(&parsed, extra);
}

/*
 * check hook of woes.workspace: also the workspace's size class, for the
 * assign hook, which must not read the catalog (plans.c).  Found before
 * the extra is allocated: the lookup may fail, and leaves nothing behind.
 */
static bool
check_workspace_setting(char **newval, void **extra, GucSource source)
{
	ParsedId	parsed;

	if (!parse_id_setting(*newval, &parsed))
		return false;
	if (parsed.valid)
		parsed.size_class = woes_plans_size_class(&parsed.id);
	return keep_parsed(&parsed, extra);
}

static void
assign_workspace(const char *newval, void *extra)
{
	if (extra)
		ctx_workspace = *(ParsedId *) extra;
	else
		ctx_workspace.valid = false;
	ctx_generation++;
	woes_forward_context_changed();
	/* plans made for a workspace of another size are made again (plans.c) */
	woes_plans_class_set(ctx_workspace.valid, ctx_workspace.size_class);
}

static void
assign_actor(const char *newval, void *extra)
{
	if (extra)
		ctx_actor = *(ParsedId *) extra;
	else
		ctx_actor.valid = false;
	ctx_generation++;
	woes_forward_context_changed();
}

static void
assign_audience(int newval, void *extra)
{
	ctx_generation++;
	woes_forward_context_changed();
}

/* true if the current user has the privileges of the named role */
static bool
has_role(const char *rolname)
{
	Oid			roleid = get_role_oid(rolname, true);

	return OidIsValid(roleid) && has_privs_of_role(GetUserId(), roleid);
}

/*
 * check hook of woes.audience: the admin audience is for woes_admin members
 * (and superusers) only, on every path: set_context() and SET LOCAL alike.
 * Only checked inside a transaction (a role lookup needs one); outside,
 * the value comes from the server configuration or a role default, which
 * only privileged users can write.
 */
static bool
check_audience(int *newval, void **extra, GucSource source)
{
	if (*newval == WOES_AUDIENCE_ADMIN && IsTransactionState() && !superuser() &&
		!has_role("woes_admin"))
	{
		GUC_check_errcode(ERRCODE_WOES_NOT_ALLOWED);
		GUC_check_errmsg("permission denied to act in the admin audience");
		GUC_check_errhint("Only members of woes_admin may use the admin audience.");
		return false;
	}
	return true;
}

/*
 * woes_context_init
 *		Define the settings; called from _PG_init.
 */
void
woes_context_init(void)
{
	DefineCustomStringVariable("woes.workspace",
							   "The workspace the current transaction acts for.",
							   "Set by woes.set_context() or, for members of woes_service, by SET LOCAL.",
							   &workspace_setting,
							   "",
							   PGC_SUSET,
							   GUC_NOT_IN_SAMPLE,
							   check_workspace_setting, assign_workspace, NULL);
	DefineCustomEnumVariable("woes.audience",
							 "The audience the current transaction acts for.",
							 "One of customer, agent, operator, analyst, admin; none means no context.",
							 &audience_setting,
							 WOES_AUDIENCE_NONE,
							 audience_options,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 check_audience, assign_audience, NULL);
	DefineCustomStringVariable("woes.actor",
							   "The actor (contact, agent or operator id) the current transaction acts for.",
							   NULL,
							   &actor_setting,
							   "",
							   PGC_SUSET,
							   GUC_NOT_IN_SAMPLE,
							   check_id_setting, assign_actor, NULL);
	DefineCustomStringVariable("woes.reason",
							   "The reason recorded with status and control changes made in this scope.",
							   "The API sets it for the duration of a call; SET LOCAL it before a raw UPDATE.",
							   &reason_setting,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
	woes_session_init();
	woes_forward_init();
}

const pg_uuid_t *
woes_context_workspace(void)
{
	CTX_READY();
	return ctx_workspace.valid ? &ctx_workspace.id : NULL;
}

const pg_uuid_t *
woes_context_actor(void)
{
	CTX_READY();
	return ctx_actor.valid ? &ctx_actor.id : NULL;
}

/* the reason of the current scope (at most 1000 characters: WO007), or NULL */
const char *
woes_context_reason(void)
{
	CTX_READY();
	if (reason_setting == NULL || reason_setting[0] == '\0')
		return NULL;
	/* the histories' CHECK, with a clear error first */
	if (strlen(reason_setting) > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("reason is too long"),
				 errhint("A reason is at most 1000 characters.")));
	return reason_setting;
}

int
woes_context_audience(void)
{
	CTX_READY();
	return audience_setting;
}

/*
 * woes_require_context
 *		Throw the extension's "no context" error unless a workspace and an
 *		audience are set.
 */
static void
require_context_set(void)
{
	CTX_READY();
	if (!ctx_workspace.valid || audience_setting == WOES_AUDIENCE_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NO_CONTEXT),
				 errmsg("no woes context is set"),
				 errdetail("Every read and write of woes data acts for one workspace, audience and actor."),
				 errhint("Call woes.set_context(workspace, audience, actor) in this transaction first.")));
}

void
woes_require_context(void)
{
	require_context_set();
	if (ctx_checked_generation != ctx_generation)
		check_context();
}

/*
 * context_workspace() returns uuid
 *		The context's workspace, or the "no context" error: the default of
 *		every workspace_id column.  On one server the statement trigger
 *		raises the same error first; on Citus the coordinator evaluates
 *		the default to route the row (no trigger fires there), and a NULL
 *		would be Citus's own error about the distribution column.
 */
Datum
woes_context_workspace_sql(PG_FUNCTION_ARGS)
{
	require_context_set();
	return id_datum(&ctx_workspace.id);
}

/*
 * woes_require_audience
 *		The C form of woes.require_audience(): WO001 without a context, WO003
 *		unless the audience is in mask (bits 1 << audience).
 */
void
woes_require_audience(uint32 mask, const char *action)
{
	StringInfoData allowed;
	int			a;

	woes_require_context();
	if (mask & ((uint32) 1 << audience_setting))
		return;
	initStringInfo(&allowed);
	for (a = WOES_AUDIENCE_CUSTOMER; a <= WOES_AUDIENCE_ADMIN; a++)
		if (mask & ((uint32) 1 << a))
			appendStringInfo(&allowed, "%s%s", allowed.len > 0 ? ", " : "",
							 woes_enum_label(&woes_audience_type, a));
	ereport(ERROR,
			(errcode(ERRCODE_WOES_NOT_ALLOWED),
			 errmsg("%s is not allowed in the %s audience", action,
					woes_enum_label(&woes_audience_type, audience_setting)),
			 errhint("Allowed audiences: %s.", allowed.data)));
}

/*
 * require_audience(allowed woes.audience[], action text) returns void
 *		woes_require_audience() for the SQL API functions: one check, one
 *		error, whichever language the API function is written in.
 */
Datum
woes_require_audience_sql(PG_FUNCTION_ARGS)
{
	uint32		mask = 0;

	if (!PG_ARGISNULL(0))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
		Datum	   *elems;
		bool	   *nulls;
		int			n,
					i;

		deconstruct_array(arr, ARR_ELEMTYPE(arr), 1, true, TYPALIGN_CHAR, &elems, &nulls, &n);
		for (i = 0; i < n; i++)
			if (!nulls[i])
				mask |= WOES_AUDIENCE_BIT((uint8) DatumGetChar(elems[i]) & 31);
	}
	woes_require_audience(mask, PG_ARGISNULL(1) ? "this call" : text_to_cstring(PG_GETARG_TEXT_PP(1)));
	PG_RETURN_VOID();
}

/*
 * The actor a history row records (status_events, handoff_events): the
 * context's actor, if the context has an audience; otherwise none.
 */
const pg_uuid_t *
woes_context_recorded_actor(void)
{
	const pg_uuid_t *actor = woes_context_actor();

	return actor && woes_context_audience() != WOES_AUDIENCE_NONE ? actor : NULL;
}

/* who the context says is acting, as recorded in history */
const char *
woes_context_actor_kind(void)
{
	switch (woes_context_audience())
	{
		case WOES_AUDIENCE_CUSTOMER:
			return "customer";
		case WOES_AUDIENCE_AGENT:
			return "agent";
		default:
			return woes_context_actor() ? "operator" : "system";
	}
}

static void
check_context(void)
{
	uint64		generation = ctx_generation;

	if (woes_check_context_values(&ctx_workspace.id, audience_setting,
								  ctx_actor.valid ? &ctx_actor.id : NULL, true))
		ctx_checked_generation = generation;
}

static void
set_setting(const char *name, const char *value, bool local)
{
	/*
	 * PGC_SUSET context: the membership check in set_context stands in for
	 * the superuser check the setting would otherwise need.
	 */
	(void) set_config_option(name, value, PGC_SUSET, PGC_S_SESSION,
							 local ? GUC_ACTION_LOCAL : GUC_ACTION_SET,
							 true, 0, false);

	/*
	 * On a Citus coordinator the workers must get the context too.  Citus
	 * forwards SET LOCAL statements (citus.propagate_set_commands = local,
	 * which woes.distribute() sets), not set_config_option(): run the same
	 * SET LOCAL as a statement, so that its utility hook sees it.  Its
	 * effect here is the one just made.  (Without Citus the setting does
	 * not exist and nothing more happens.)
	 */
	if (local)
		woes_forward_set_local(name, value);
}

/*
 * set_context(workspace uuid, audience woes.audience, actor uuid DEFAULT NULL,
 *			   local boolean DEFAULT true) returns void
 *
 * Not STRICT: a NULL actor is normal, and NULL workspace or audience get a
 * clear error rather than a silent no-op.
 */
Datum
woes_set_context(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *workspace;
	int			audience;
	pg_uuid_t  *actor = PG_ARGISNULL(2) ? NULL : PG_GETARG_UUID_P(2);
	bool		local = PG_ARGISNULL(3) ? true : PG_GETARG_BOOL(3);

	/* what the transaction inherited is judged before it is replaced */
	CTX_READY();

	if (!has_role("woes_service") && !has_role("woes_admin"))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_ALLOWED),
				 errmsg("permission denied to set the woes context"),
				 errhint("Only members of woes_service or woes_admin may set the context.")));

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_CONTEXT),
				 errmsg("workspace and audience must not be null"),
				 errhint("Use woes.clear_context() to act for no workspace.")));
	workspace = PG_GETARG_UUID_P(0);
	audience = (uint8) PG_GETARG_CHAR(1);
	(void) woes_enum_label(&woes_audience_type, audience);	/* validates */

	if (audience == WOES_AUDIENCE_ADMIN && !has_role("woes_admin"))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_ALLOWED),
				 errmsg("permission denied to act in the admin audience"),
				 errhint("Only members of woes_admin may use the admin audience.")));

	if (!local && !woes_session_context_allowed())
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_ALLOWED),
				 errmsg("a session-level woes context is not allowed"),
				 errdetail("Behind a transaction pooler the next client would act with it."),
				 errhint("Call woes.set_context() in each transaction (local => true). "
						 "A superuser may allow session contexts with woes.allow_session_context = on.")));

	/*
	 * On a Citus coordinator a session value would stay on this node: Citus
	 * forwards SET LOCAL only (citus.propagate_set_commands = local), so
	 * the workers, where the rows are, would act with no context (and the
	 * check below would not find the actor there).  Refused, clearly.
	 */
	if (!local && woes_node() == WOES_NODE_COORDINATOR)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_SCALE_OUT),
				 errmsg("a session-level woes context does not reach the Citus workers"),
				 errdetail("Citus forwards only SET LOCAL to the workers; the workers would act with no context."),
				 errhint("Call woes.set_context() in each transaction (local => true); for a role's default "
						 "context use woes.bind_role().")));

	set_setting("woes.workspace", woes_uuid_text(workspace), local);
	set_setting("woes.audience", woes_enum_label(&woes_audience_type, audience), local);
	set_setting("woes.actor", actor ? woes_uuid_text(actor) : "", local);

	/*
	 * Check under the new context.  A failure raises an error, and the
	 * error undoes the settings with the rest of the (sub)transaction.
	 */
	check_context();
	PG_RETURN_VOID();
}

/*
 * clear_context() returns void
 *		Act for no workspace until the end of the transaction.
 */
/*
 * switch_context(workspace text, audience text, actor text) returns void
 *		Internal: the three settings, transaction-local, unchecked -- for
 *		woes's SECURITY DEFINER functions that act in a workspace for one
 *		write and restore the caller's context after (bind_role,
 *		unbind_role, wake_snoozed).  Like set_context it also runs them as
 *		SET LOCAL statements where Citus forwards those, so the workers act
 *		in the same context; set_config() would change this node only.
 *		Executable by the owner only.
 */
Datum
woes_switch_context(PG_FUNCTION_ARGS)
{
	CTX_READY();
	set_setting("woes.workspace", PG_ARGISNULL(0) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(0)), true);
	set_setting("woes.audience", PG_ARGISNULL(1) ? "none" : text_to_cstring(PG_GETARG_TEXT_PP(1)), true);
	set_setting("woes.actor", PG_ARGISNULL(2) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(2)), true);
	PG_RETURN_VOID();
}

Datum
woes_clear_context(PG_FUNCTION_ARGS)
{
	CTX_READY();
	set_setting("woes.workspace", "", true);
	set_setting("woes.audience", "none", true);
	set_setting("woes.actor", "", true);
	PG_RETURN_VOID();
}

static Datum
id_datum(const pg_uuid_t *id)
{
	pg_uuid_t  *copy = palloc(sizeof(pg_uuid_t));

	*copy = *id;
	return UUIDPGetDatum(copy);
}

/* current_workspace() returns uuid: NULL when no context is set */
Datum
woes_current_workspace(PG_FUNCTION_ARGS)
{
	CTX_READY();
	if (!ctx_workspace.valid)
		PG_RETURN_NULL();
	return id_datum(&ctx_workspace.id);
}

/* current_actor() returns uuid: NULL when no actor is set */
Datum
woes_current_actor(PG_FUNCTION_ARGS)
{
	CTX_READY();
	if (!ctx_actor.valid)
		PG_RETURN_NULL();
	return id_datum(&ctx_actor.id);
}

/* current_audience() returns woes.audience: NULL when none is set */
Datum
woes_current_audience(PG_FUNCTION_ARGS)
{
	CTX_READY();
	if (audience_setting == WOES_AUDIENCE_NONE)
		PG_RETURN_NULL();
	PG_RETURN_CHAR((char) audience_setting);
}

/*
 * in_audience(allowed woes.audience[]) returns boolean
 *		Is the context's audience one of these?  The audience test of every
 *		policy.  The array (a constant in a policy) becomes a bitmask once per
 *		call site, so a row costs one bit test; no context is false.
 */
Datum
woes_in_audience(PG_FUNCTION_ARGS)
{
	uint32	   *mask = (uint32 *) fcinfo->flinfo->fn_extra;

	CTX_READY();
	if (mask == NULL || PG_ARGISNULL(0))
	{
		uint32		bits = 0;

		if (!PG_ARGISNULL(0))
		{
			ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
			Datum	   *elems;
			bool	   *nulls;
			int			n,
						i;

			deconstruct_array(arr, ARR_ELEMTYPE(arr), 1, true, TYPALIGN_CHAR, &elems, &nulls, &n);
			for (i = 0; i < n; i++)
				if (!nulls[i])
					bits |= (uint32) 1 << ((uint8) DatumGetChar(elems[i]) & 31);
		}
		/* cache only for a constant argument: a policy's literal array */
		if (get_fn_expr_arg_stable(fcinfo->flinfo, 0) && !PG_ARGISNULL(0))
		{
			mask = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(uint32));
			*mask = bits;
			fcinfo->flinfo->fn_extra = mask;
		}
		else
			PG_RETURN_BOOL(audience_setting != WOES_AUDIENCE_NONE &&
						   (bits & ((uint32) 1 << audience_setting)) != 0);
	}
	PG_RETURN_BOOL(audience_setting != WOES_AUDIENCE_NONE &&
				   (*mask & ((uint32) 1 << audience_setting)) != 0);
}

/*
 * The planner support of in_audience: it is true for every row or for none
 * (the audience is one per statement), so as a filter it removes nothing.
 * Without this the planner would guess it keeps 1% of the rows and, for a
 * page of 1,000 events, prefer reading the whole table and sorting over an
 * index scan that stops after the page.
 */
Datum
woes_in_audience_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);

	if (IsA(rawreq, SupportRequestSelectivity))
	{
		SupportRequestSelectivity *req = (SupportRequestSelectivity *) rawreq;

		req->selectivity = 1.0;
		PG_RETURN_POINTER(req);
	}
	PG_RETURN_POINTER(NULL);
}

/*
 * in_workspace(workspace_id uuid) returns boolean
 *		The WITH CHECK side of every table's isolation policy: true when the
 *		row being written belongs to the current workspace, otherwise the
 *		extension's error (the generic RLS error would not say why).  The
 *		message never names the other workspace.
 */
Datum
woes_in_workspace(PG_FUNCTION_ARGS)
{
	woes_require_in_workspace(PG_ARGISNULL(0) ? NULL : PG_GETARG_UUID_P(0));
	PG_RETURN_BOOL(true);
}

/*
 * woes_require_in_workspace
 *		A row written must belong to the context's workspace (NULL: the row
 *		has none): in_workspace() for the policies, and the message trigger
 *		before it touches anything.
 */
void
woes_require_in_workspace(const pg_uuid_t *workspace)
{
	woes_require_context();
	if (workspace == NULL || !woes_uuid_equal(workspace, &ctx_workspace.id))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_WRONG_WORKSPACE),
				 errmsg("row is outside the current workspace"),
				 errdetail("A row can only be written in, and never moved out of, the workspace of the context.")));
}

/*
 * woes_restoring
 *		True while a restore loads data: the triggers then keep rows exactly
 *		as dumped (numbers, history, ids) instead of applying their rules.
 *
 * pg_restore runs with row_security off, but so may any session: the
 * setting alone proves nothing, and inside a SECURITY DEFINER function the
 * current user is woes's owner, for whom row security does not apply
 * anyway.  So the role that counts is the session's own (the outer user,
 * which SET ROLE sets and SECURITY DEFINER does not change): only a
 * superuser or a BYPASSRLS role, which could write the tables without
 * woes's rules in any case, can restore.  And woes's own API never runs in
 * this mode: it pins row_security on (woes_api_begin, the C entry points,
 * and the SET clause of every SQL API function).
 */
bool
woes_restoring(void)
{
	Oid			outer;

	if (row_security)
		return false;
	outer = GetOuterUserId();
	return superuser_arg(outer) || has_bypassrls_privilege(outer);
}

/*
 * restoring() returns boolean
 *		woes_restoring() for the SQL triggers.
 */
Datum
woes_restoring_sql(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(woes_restoring());
}

/*
 * require_context() trigger, BEFORE INSERT OR UPDATE OR DELETE FOR EACH
 * STATEMENT on every workspace table: a write without a context fails with
 * a clear error instead of silently touching nothing.
 */
Datum
woes_require_context_trigger(PG_FUNCTION_ARGS)
{
	woes_check_trigger(fcinfo, "woes.require_context()", false, 0);
	if (!woes_restoring())
		woes_require_context();
	return PointerGetDatum(NULL);
}

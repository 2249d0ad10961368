/*-------------------------------------------------------------------------
 *
 * session.c
 *		A woes context (and woes.reason) lives exactly as long as its
 *		transaction.  Behind a transaction pooler the server connection, with
 *		every session setting on it, passes to the next client, which would
 *		then read and write as this one; so a context set for the session is
 *		refused at commit, and one that got past that check is discarded
 *		before the next transaction reads it.  woes.allow_session_context, a
 *		superuser's setting, allows both (for direct connections).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"

#include "compat.h"
#include "enums.h"
#include "errcodes.h"
#include "session.h"
#include "shards.h"

static bool allow_session_context = false;

/* the GUC records of the context's settings and woes.reason */
#define SESSION_NGUCS 4
static struct config_generic *ctx_gucs[SESSION_NGUCS];

/* set at every transaction end: check what the next one inherits */
bool		woes_session_unchecked = true;

/*
 * Is gconf's value one this transaction set for the session (plain SET,
 * set_config(..., false), set_context(local => false)), that differs from
 * what the session had to begin with (the server's or role's default) and
 * names a context?  Only the top GUC stack entry can be open at top-level
 * commit; SET LOCAL and function SET clauses are undone by it.
 */
static bool
session_value_set(struct config_generic *gconf)
{
	GucStack   *stack = gconf->stack;
	bool		current;

	if (stack == NULL || (stack->state != GUC_SET && stack->state != GUC_SET_LOCAL))
		return false;
	current = stack->state == GUC_SET;
	if (gconf->vartype == PGC_STRING)
	{
		struct config_string *conf = (struct config_string *) gconf;
		const char *value = current ? *conf->variable : stack->masked.val.stringval;

		return value != NULL && value[0] != '\0' &&
			(conf->reset_val == NULL || strcmp(value, conf->reset_val) != 0);
	}
	if (gconf->vartype == PGC_ENUM)
	{
		struct config_enum *conf = (struct config_enum *) gconf;
		int			value = current ? *conf->variable : stack->masked.val.enumval;

		return value != WOES_AUDIENCE_NONE && value != conf->reset_val;
	}
	return false;
}

/*
 * At commit: refuse a context that would outlast the transaction, unless a
 * superuser allowed it.  Behind a transaction pooler (PgBouncer in
 * transaction mode) the server connection, with every session setting on
 * it, goes to the next client, which would then read and write as this
 * one.  The error aborts the transaction, which undoes the SET.  Per-role
 * defaults (woes.bind_role) are not set by a transaction, so they pass.
 */
static void
context_xact_callback(XactEvent event, void *arg)
{
	int			i;

	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PREPARE)
	{
		woes_session_unchecked = true;
		return;
	}

	/*
	 * A parallel worker receives the leader's settings as session values,
	 * in a transaction of its own: they end with the worker.
	 */
	if ((event != XACT_EVENT_PRE_COMMIT && event != XACT_EVENT_PRE_PREPARE) ||
		allow_session_context || IsParallelWorker())
		return;
	for (i = 0; i < SESSION_NGUCS; i++)
		if (ctx_gucs[i] != NULL && session_value_set(ctx_gucs[i]))
			ereport(ERROR,
					(errcode(ERRCODE_WOES_NOT_ALLOWED),
					 errmsg("a session-level woes context is not allowed"),
					 errdetail("%s was set for the session; behind a transaction pooler the next client would act with it.",
							   ctx_gucs[i]->name),
					 errhint("Set the context inside the transaction: woes.set_context(...) or SET LOCAL. "
							 "A superuser may allow session contexts with woes.allow_session_context = on.")));
}

/*
 * The value gconf had when the transaction began, and where it came from:
 * the prior value of the oldest entry of its stack, if the transaction
 * changed it, else the current one.  NULL or "" (none) means no context.
 */
static bool
inherited_value_set(struct config_generic *gconf, GucSource *source)
{
	GucStack   *stack = gconf->stack;

	while (stack != NULL && stack->prev != NULL)
		stack = stack->prev;
	*source = stack ? stack->source : gconf->source;
	if (gconf->vartype == PGC_STRING)
	{
		const char *value = stack ? stack->prior.val.stringval :
		*((struct config_string *) gconf)->variable;

		return value != NULL && value[0] != '\0';
	}
	if (gconf->vartype == PGC_ENUM)
		return (stack ? stack->prior.val.enumval :
				*((struct config_enum *) gconf)->variable) != WOES_AUDIENCE_NONE;
	return false;
}

/*
 * woes_session_check_inherited
 *		Run once per transaction, before the context is first read: a
 *		context (or reason) the transaction inherits must not be one that
 *		an earlier transaction left on the connection.  The commit check
 *		refuses such settings when they are made; this catches the ways
 *		around it -- a session SET made before the woes library was loaded
 *		in the session (kept as a placeholder, then taken over), a prepared
 *		transaction -- and per-role or per-database defaults of a
 *		woes_service member (woes.bind_role refuses to bind those: behind a
 *		pooler every client would inherit them; a role could give itself
 *		such defaults with ALTER ROLE).  What is found is discarded with a
 *		WARNING for the rest of the session, or, if this transaction has
 *		already changed the setting, refused.  woes.allow_session_context
 *		allows all of it.
 */
void
woes_session_check_inherited(void)
{
	int			i;
	bool		service = false;
	bool		service_known = false;

	if (!IsTransactionState())
		return;
	woes_session_unchecked = false;
	if (allow_session_context || IsParallelWorker())
		return;
	for (i = 0; i < SESSION_NGUCS; i++)
	{
		struct config_generic *gconf = ctx_gucs[i];
		GucSource	source;

		if (gconf == NULL || !inherited_value_set(gconf, &source) || source == PGC_S_DEFAULT)
			continue;
		if (source != PGC_S_SESSION)
		{
			/* a default: refused for woes_service members only (the reason never has one) */
			if (!service_known)
			{
				Oid			roleid = get_role_oid("woes_service", true);

				service = OidIsValid(roleid) && has_privs_of_role(GetSessionUserId(), roleid);
				service_known = true;
			}
			if (!service && i < 3)
				continue;
		}
		if (gconf->stack != NULL && source != PGC_S_SESSION && woes_node() == WOES_NODE_WORKER)
		{
			/*
			 * On a Citus worker a per-role default comes from Citus, which
			 * carries ALTER ROLE ... SET to the workers; the coordinator
			 * judged (and discarded) it for the client's session already.
			 * Every transaction Citus sends here starts with the SET LOCALs
			 * of the context, before anything reads it: refusing would
			 * refuse every transaction of the role on this connection.  The
			 * transaction's own value stands; the default is judged again
			 * when the value falls back to it (a rolled-back savepoint, the
			 * next transaction).
			 */
			continue;
		}
		if (gconf->stack != NULL)
		{
			woes_session_unchecked = true;
			ereport(ERROR,
					(errcode(ERRCODE_WOES_NOT_ALLOWED),
					 errmsg("a woes context left on this connection outside a transaction is not allowed"),
					 errdetail("%s was set for the session, not by this transaction.", gconf->name),
					 errhint("Set the context in each transaction; for a pooled application role, remove its "
							 "per-role woes settings (ALTER ROLE ... RESET woes.workspace).")));
		}
		ereport(WARNING,
				(errcode(ERRCODE_WOES_NOT_ALLOWED),
				 errmsg("discarded %s, set for the session outside a transaction", gconf->name),
				 errhint("Set the context in each transaction; for a pooled application role, remove its "
						 "per-role woes settings (ALTER ROLE ... RESET woes.workspace).")));
		(void) set_config_option(gconf->name, gconf->vartype == PGC_ENUM ? "none" : "",
								 PGC_SUSET, PGC_S_SESSION, GUC_ACTION_SET, true, 0, false);
	}
}

/* a rolled-back subtransaction may bring an inherited value back: judge it again */
static void
context_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		woes_session_unchecked = true;
}

/*
 * woes_session_init
 *		Define woes.allow_session_context, find the records of the context's
 *		settings (defined just before) and watch every transaction's end.
 */
void
woes_session_init(void)
{
	DefineCustomBoolVariable("woes.allow_session_context",
							 "Allow a woes context that outlasts its transaction (set_context(local => false), a session SET).",
							 "Off: behind a transaction pooler such a context would pass to the next client. "
							 "Per-role defaults (woes.bind_role) are not affected.",
							 &allow_session_context,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	ctx_gucs[0] = woes_find_guc("woes.workspace");
	ctx_gucs[1] = woes_find_guc("woes.audience");
	ctx_gucs[2] = woes_find_guc("woes.actor");
	ctx_gucs[3] = woes_find_guc("woes.reason");
	RegisterXactCallback(context_xact_callback, NULL);
	RegisterSubXactCallback(context_subxact_callback, NULL);
}

bool
woes_session_context_allowed(void)
{
	return allow_session_context;
}

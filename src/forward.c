/*-------------------------------------------------------------------------
 *
 * forward.c
 *		The context on a Citus cluster's workers.  Citus forwards SET LOCAL
 *		statements to the nodes a transaction reaches (with
 *		citus.propagate_set_commands = local, which woes.distribute() sets),
 *		not set_config(): woes runs its own changes of the context as such
 *		statements too, and runs them again where Citus would lose them.
 *		Nothing happens where Citus does not forward SET LOCAL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "forward.h"

/*
 * Citus 12.1 forwards a SET LOCAL made inside a savepoint only while the
 * savepoint is open: when it is released, Citus restores the list of SET
 * LOCALs it sends to the nodes a transaction reaches next to the parent's
 * (PopSubXact), although PostgreSQL keeps the setting.  A context set
 * inside a savepoint (psql's ON_ERROR_ROLLBACK, an ORM's nested atomic
 * block) would then not reach a worker first used after the release.  So a
 * change of the context at a nesting level that is released is noted, and
 * before the next statement on this node starts, the context's SET LOCALs
 * run again, at the parent's level, where Citus keeps them.  (Only where
 * Citus forwards SET LOCAL: citus.propagate_set_commands = local.)
 */
static int	ctx_changed_level = 0;
static bool ctx_reforward = false;
static ExecutorStart_hook_type prev_executor_start = NULL;

static void context_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
									 SubTransactionId parentSubid, void *arg);
static void context_reforward_xact_callback(XactEvent event, void *arg);
static void context_executor_start(QueryDesc *queryDesc, int eflags);

void
woes_forward_context_changed(void)
{
	if (IsTransactionState())
		ctx_changed_level = GetCurrentTransactionNestLevel();
}

/* whether Citus forwards SET LOCAL statements to the nodes (see set_setting) */
static bool
citus_forwards_set_local(void)
{
	const char *propagate = GetConfigOption("citus.propagate_set_commands", true, false);

	return propagate != NULL && strcmp(propagate, "local") == 0;
}

/* run "SET LOCAL name = value" as a statement, which Citus forwards */
static void
forward_set_local(const char *name, const char *value)
{
	StringInfoData stmt;

	initStringInfo(&stmt);
	appendStringInfo(&stmt, "SET LOCAL %s = %s", name, quote_literal_cstr(value));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (SPI_execute(stmt.data, false, 0) != SPI_OK_UTILITY)
		elog(ERROR, "could not forward %s", name);
	SPI_finish();
	pfree(stmt.data);
}

/* a released savepoint that changed the context: forward it again (see above) */
static void
context_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	if (ctx_changed_level < level)
		return;

	/*
	 * Released: Citus drops the SET LOCALs of the level (above).  Rolled
	 * back: the workers roll back the SET LOCALs they got at this level
	 * (ROLLBACK TO SAVEPOINT there too), while here the parent's context
	 * stays -- also when it was only forwarded again inside this level,
	 * which is every statement under psql's ON_ERROR_ROLLBACK or a driver's
	 * per-statement savepoint.  Either way the workers lack what this node
	 * has: forward it again before the next statement.
	 */
	if (event == SUBXACT_EVENT_COMMIT_SUB || event == SUBXACT_EVENT_ABORT_SUB)
	{
		ctx_reforward = true;
		ctx_changed_level = level - 1;
	}
}

static void
context_reforward_xact_callback(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT || event == XACT_EVENT_PARALLEL_ABORT ||
		event == XACT_EVENT_PREPARE)
	{
		ctx_reforward = false;
		ctx_changed_level = 0;
	}
}

static void
context_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (unlikely(ctx_reforward))
	{
		ctx_reforward = false;
		if (citus_forwards_set_local() && IsTransactionBlock())
		{
			forward_set_local("woes.workspace", GetConfigOption("woes.workspace", false, false));
			forward_set_local("woes.audience", GetConfigOption("woes.audience", false, false));
			forward_set_local("woes.actor", GetConfigOption("woes.actor", false, false));
		}
	}
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
}

/*
 * woes_forward_set_local
 *		After a SET LOCAL of a context setting made by woes (set_context,
 *		switch_context): the same as a statement, where Citus forwards it.
 */
void
woes_forward_set_local(const char *name, const char *value)
{
	if (citus_forwards_set_local())
		forward_set_local(name, value);
}

void
woes_forward_init(void)
{
	RegisterSubXactCallback(context_subxact_callback, NULL);
	RegisterXactCallback(context_reforward_xact_callback, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = context_executor_start;
}

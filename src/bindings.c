/*-------------------------------------------------------------------------
 *
 * bindings.c
 *		Role bindings act at once: when a transaction that changed a role's
 *		binding (woes.bind_role, woes.unbind_role) commits, every other
 *		session of that role in this database is ended.
 *
 * A binding is a set of per-role defaults (ALTER ROLE ... IN DATABASE ...
 * SET woes.workspace ...), which PostgreSQL reads only when a session
 * starts: a session opened before the change -- a BI tool's pooled
 * connection -- would go on reading the old workspace, or after an unbind
 * keep reading one it was taken from.  Ending those sessions is the one
 * way that holds for every client: its pool reconnects, and the new
 * session reads the committed binding.  The sessions are found and ended
 * after the commit (XACT_EVENT_COMMIT), not before, so none can connect in
 * between and read the old defaults; a prepared transaction cannot do that
 * at its later COMMIT PREPARED, so it is refused.
 *
 * Sessions are found by the role they logged in as (PGPROC.roleId) and the
 * database; the signal is the one pg_terminate_backend() sends.  The
 * caller is woes_admin through the SECURITY DEFINER binding functions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "utils/memutils.h"

#include "errcodes.h"

PG_FUNCTION_INFO_V1(woes_end_sessions_at_commit);

/* roles to end sessions of at commit, each with the nesting level it was
 * asked at (a subtransaction that aborts takes its requests back) */
typedef struct PendingRole
{
	Oid			role;
	int			level;
} PendingRole;

static List *pending_roles = NIL;	/* of PendingRole, in TopTransactionContext */
static bool callback_registered = false;

static void
end_sessions(Oid role)
{
	uint32		i;

	/* under the lock a slot is not reused while it is read and signalled */
	LWLockAcquire(ProcArrayLock, LW_SHARED);
	for (i = 0; i < ProcGlobal->allProcCount; i++)
	{
		PGPROC	   *proc = &ProcGlobal->allProcs[i];
		int			pid = proc->pid;

		if (pid == 0 || pid == MyProcPid || proc->roleId != role ||
			proc->databaseId != MyDatabaseId)
			continue;
#ifdef HAVE_SETSID
		(void) kill(-pid, SIGTERM);
#else
		(void) kill(pid, SIGTERM);
#endif
	}
	LWLockRelease(ProcArrayLock);
}

static void
bindings_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	switch (event)
	{
		case XACT_EVENT_PRE_PREPARE:
			if (pending_roles != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("a transaction that changes a role binding cannot be prepared"),
						 errdetail("The role's open sessions are ended when it commits.")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			foreach(lc, pending_roles)
				end_sessions(((PendingRole *) lfirst(lc))->role);
			pending_roles = NIL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			pending_roles = NIL;
			break;
		default:
			break;
	}
}

static void
bindings_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
						  SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;
	int			level = GetCurrentTransactionNestLevel();

	if (event != SUBXACT_EVENT_ABORT_SUB)
		return;
	foreach(lc, pending_roles)
	{
		if (((PendingRole *) lfirst(lc))->level >= level)
			pending_roles = foreach_delete_current(pending_roles, lc);
	}
}

/*
 * woes.end_sessions_at_commit(role regrole): when this transaction commits,
 * end every other session of role in this database.  Internal: called by
 * bind_role and unbind_role.
 */
Datum
woes_end_sessions_at_commit(PG_FUNCTION_ARGS)
{
	Oid			role = PG_GETARG_OID(0);
	PendingRole *pending;
	MemoryContext old;

	if (!callback_registered)
	{
		RegisterXactCallback(bindings_xact_callback, NULL);
		RegisterSubXactCallback(bindings_subxact_callback, NULL);
		callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	pending = palloc(sizeof(PendingRole));
	pending->role = role;
	pending->level = GetCurrentTransactionNestLevel();
	pending_roles = lappend(pending_roles, pending);
	MemoryContextSwitchTo(old);
	PG_RETURN_VOID();
}

/*-------------------------------------------------------------------------
 *
 * eventtime.c
 *		The time of the change being written: what history rows (their
 *		created_at, by the row writer) and the metrics record.
 *
 * A change a message causes happens when the message was sent (a reopen,
 * an implicit takeover, the reply clocks; a new conversation by its first
 * message): an intake's sent_at or an imported message's created_at puts
 * it in the past.  The message trigger and the intake run those writes
 * with woes_event_time_run().  Otherwise, for an import of history, the
 * setting woes.as_of (operator and admin audiences); otherwise the
 * transaction's time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "eventtime.h"

static char *as_of_setting = NULL;

/* set while woes writes at a time of its own (woes_event_time_run) */
static bool own_set = false;
static TimestampTz own_time;

void
woes_event_time_init(void)
{
	DefineCustomStringVariable("woes.as_of",
							   "The time the changes of this scope happened, for an import of history.",
							   "SET LOCAL it before each imported status change, assignment or handoff; "
							   "operator and admin audiences only.",
							   &as_of_setting,
							   "",
							   PGC_USERSET,
							   GUC_NOT_IN_SAMPLE,
							   NULL, NULL, NULL);
}

TimestampTz
woes_event_time(void)
{
	if (own_set)
		return own_time;
	if (as_of_setting != NULL && as_of_setting[0] != '\0')
	{
		int			audience = woes_context_audience();

		if (audience != WOES_AUDIENCE_OPERATOR && audience != WOES_AUDIENCE_ADMIN)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_NOT_ALLOWED),
					 errmsg("woes.as_of is for imports in the operator or admin audience"),
					 errhint("RESET woes.as_of, or act in the operator audience.")));
		return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(as_of_setting),
													   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	return GetCurrentTransactionStartTimestamp();
}

bool
woes_event_time_own(void)
{
	return own_set;
}

/* restored also on error, so no later write of the transaction inherits it */
void
woes_event_time_run(TimestampTz at, void (*body) (void *), void *arg)
{
	bool		was_set = own_set;
	TimestampTz was = own_time;

	own_time = at;
	own_set = true;
	PG_TRY();
	{
		body(arg);
	}
	PG_FINALLY();
	{
		own_set = was_set;
		own_time = was;
	}
	PG_END_TRY();
}

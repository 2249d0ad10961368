/*-------------------------------------------------------------------------
 *
 * routing.c
 *		The load that routing weighs: per operator, the number of open or
 *		pending conversations assigned to them (woes.operator_loads), kept in
 *		the transaction of every change that moves it, so that woes.route()
 *		reads one row per candidate instead of counting conversations.
 *
 * The load hook of the conversation trigger runs in the record pass (the
 * row is final): a conversation counts for its assignee while its status
 * is open or pending.  A change of assignee or of status across that line
 * moves one unit from the old assignee's row to the new one's (an upsert:
 * a row appears with an operator's first assignment).  A change that moves
 * nothing -- the common status change of an unassigned conversation, a
 * reply -- costs a comparison.  The counter rows are written as the owner;
 * nobody else may write them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "conversations.h"
#include "enums.h"
#include "ids.h"
#include "scope.h"

/* does a conversation in this status count for its assignee's load? */
static bool
counts(int status)
{
	return status == WOES_STATUS_OPEN || status == WOES_STATUS_PENDING;
}

static void
add_load(WoesConversationRow *row, Datum operator, int delta, bool assigned)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[5] = {UUIDOID, UUIDOID, INT4OID, BOOLOID, TIMESTAMPTZOID};
	Datum		values[5];
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept(
			"INSERT INTO woes.operator_loads AS l (workspace_id, operator_id, open_count, last_assigned_at)"
			" VALUES ($1, $2, GREATEST($3, 0), CASE WHEN $4 THEN $5 END)"
			" ON CONFLICT (workspace_id, operator_id) DO UPDATE"
			" SET open_count = GREATEST(l.open_count OPERATOR(pg_catalog.+) $3, 0),"
			"     last_assigned_at = CASE WHEN $4 THEN $5 ELSE l.last_assigned_at END",
			5, types);
	values[0] = row->workspace;
	values[1] = operator;
	values[2] = Int32GetDatum(delta);
	values[3] = BoolGetDatum(assigned);
	/* the time as a value: Citus takes no now() in an upsert's DO UPDATE */
	values[4] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	ret = SPI_execute_plan(plan, values, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not update the operator's load: %s", SPI_result_code_string(ret));
	SPI_finish();
}

/*
 * woes_load_record
 *		Move the conversation's unit of load from its old assignee to its new
 *		one, if either counts it.
 */
void
woes_load_record(WoesConversationRow *row)
{
	bool		old_null = true,
				new_null;
	Datum		old_assignee = (Datum) 0;
	Datum		new_assignee;
	bool		old_counts,
				new_counts,
				same_assignee;

	if (!row->insert)
		old_assignee = heap_getattr(row->oldtuple, row->atts->assignee_id, row->tupdesc, &old_null);
	new_assignee = heap_getattr(row->newtuple, row->atts->assignee_id, row->tupdesc, &new_null);
	old_counts = !old_null && !row->insert && counts(row->from_status);
	new_counts = !new_null && counts(row->to_status);
	same_assignee = !old_null && !new_null &&
		woes_uuid_equal(DatumGetUUIDP(old_assignee), DatumGetUUIDP(new_assignee));

	if (same_assignee && old_counts == new_counts)
		return;
	if (old_counts && !(same_assignee && new_counts))
		add_load(row, old_assignee, -1, false);
	if (new_counts && !(same_assignee && old_counts))
		add_load(row, new_assignee, 1, !same_assignee);
	else if (!new_null && !same_assignee)
		add_load(row, new_assignee, 0, true);	/* assigned, not counted (e.g. snoozed) */
}

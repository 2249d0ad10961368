/*-------------------------------------------------------------------------
 *
 * assignment.c
 *		Who works on a conversation: its assignee (an operator) and its
 *		team.  The assignment hook of the conversation trigger judges every
 *		change of assignee_id or team_id, whatever path made it (woes.assign,
 *		a raw UPDATE, the removal of a team or an operator), and records it:
 *		one woes.assignments row and a conversation.assigned event.
 *
 * The rules, checked on the row as it will be stored: an assignee is an
 * active operator of the workspace; with a team too, a member of it.  The
 * foreign keys say that both exist in the conversation's workspace; the
 * hook says the rest, with an error naming what is wrong.  A change that
 * only clears (a removal, woes.unassign) needs no check.  A row whose
 * assignee and team stay as they were costs nothing here.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "context.h"
#include "conversations.h"
#include "errcodes.h"
#include "events.h"
#include "ids.h"
#include "rowwriter.h"
#include "scope.h"

/* a uuid column of the old (UPDATE) or new row; isnull on INSERT's old */
static Datum
column(WoesConversationRow *row, HeapTuple tuple, int attnum, bool *isnull)
{
	if (tuple == NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return heap_getattr(tuple, attnum, row->tupdesc, isnull);
}

static bool
same(Datum a, bool anull, Datum b, bool bnull)
{
	if (anull || bnull)
		return anull == bnull;
	return woes_uuid_equal(DatumGetUUIDP(a), DatumGetUUIDP(b));
}

typedef struct Assignment
{
	Datum		from_assignee,
				to_assignee,
				from_team,
				to_team;
	bool		from_assignee_null,
				to_assignee_null,
				from_team_null,
				to_team_null;
} Assignment;

/* the change this row makes; false when assignee and team stay */
static bool
assignment_change(WoesConversationRow *row, Assignment *a)
{
	HeapTuple	old = row->insert ? NULL : row->oldtuple;

	a->from_assignee = column(row, old, row->atts->assignee_id, &a->from_assignee_null);
	a->from_team = column(row, old, row->atts->team_id, &a->from_team_null);
	a->to_assignee = column(row, row->newtuple, row->atts->assignee_id, &a->to_assignee_null);
	a->to_team = column(row, row->newtuple, row->atts->team_id, &a->to_team_null);
	return !same(a->from_assignee, a->from_assignee_null, a->to_assignee, a->to_assignee_null) ||
		!same(a->from_team, a->from_team_null, a->to_team, a->to_team_null);
}

/*
 * woes_assignment_check
 *		A new assignee must be an active operator of the workspace, and a
 *		member of the team when the row has one.  Read as the owner: the
 *		rule holds whoever writes the row.
 */
void
woes_assignment_check(WoesConversationRow *row)
{
	static SPIPlanPtr plan = NULL;
	Assignment	a;
	Oid			types[3] = {UUIDOID, UUIDOID, UUIDOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;
	bool		active,
				member;
	int			ret;

	if (!assignment_change(row, &a) || a.to_assignee_null)
		return;					/* nothing new to judge: a team alone is its queue */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept("SELECT o.active,"
								 " $3 IS NULL OR EXISTS (SELECT FROM woes.team_members m"
								 "   WHERE m.workspace_id OPERATOR(pg_catalog.=) $1"
								 "     AND m.team_id OPERATOR(pg_catalog.=) $3"
								 "     AND m.operator_id OPERATOR(pg_catalog.=) $2)"
								 "  FROM woes.operators o"
								 " WHERE o.workspace_id OPERATOR(pg_catalog.=) $1"
								 "   AND o.id OPERATOR(pg_catalog.=) $2",
								 3, types);
	values[0] = row->workspace;
	values[1] = a.to_assignee;
	values[2] = a.to_team;
	nulls[2] = a.to_team_null ? 'n' : ' ';
	ret = SPI_execute_plan(plan, values, nulls, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the assignee: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
	{
		SPI_finish();
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_FOUND),
				 errmsg("operator %s not found in this workspace",
						woes_uuid_text(DatumGetUUIDP(a.to_assignee)))));
	}
	active = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	member = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();
	if (!active)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ASSIGNMENT),
				 errmsg("operator %s is not active", woes_uuid_text(DatumGetUUIDP(a.to_assignee))),
				 errhint("Assign an active operator, or the team alone.")));
	if (!member)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ASSIGNMENT),
				 errmsg("operator %s is not a member of team %s",
						woes_uuid_text(DatumGetUUIDP(a.to_assignee)),
						woes_uuid_text(DatumGetUUIDP(a.to_team))),
				 errhint("Add the operator to the team (woes.add_team_member), or assign without the team.")));
}

static void
payload_uuid(WoesPayload *payload, const char *key, Datum value, bool isnull)
{
	if (!isnull)
		woes_payload_uuid(payload, key, value);
}

/*
 * woes_assignment_record
 *		Every change of assignee or team writes one assignments row and a
 *		conversation.assigned event (also when it comes with the
 *		conversation's creation: conversation.created does not carry it).
 */
void
woes_assignment_record(WoesConversationRow *row)
{
	const pg_uuid_t *actor;
	const char *reason;
	Assignment	a;
	Datum		values[9];
	bool		nulls[9];
	WoesPayload payload;

	if (!assignment_change(row, &a))
		return;
	actor = woes_context_recorded_actor();
	reason = woes_context_reason();
	values[0] = row->workspace;
	nulls[0] = false;
	values[1] = row->id;
	nulls[1] = false;
	values[2] = a.from_assignee;
	nulls[2] = a.from_assignee_null;
	values[3] = a.to_assignee;
	nulls[3] = a.to_assignee_null;
	values[4] = a.from_team;
	nulls[4] = a.from_team_null;
	values[5] = a.to_team;
	nulls[5] = a.to_team_null;
	values[6] = CStringGetTextDatum(woes_context_actor_kind());
	nulls[6] = false;
	values[7] = actor ? UUIDPGetDatum((pg_uuid_t *) actor) : (Datum) 0;
	nulls[7] = actor == NULL;
	values[8] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	nulls[8] = reason == NULL;
	(void) woes_insert_direct(WOES_DIRECT_ASSIGNMENTS, values, nulls, !row->insert);

	woes_payload_begin(&payload);
	payload_uuid(&payload, "from_assignee_id", a.from_assignee, a.from_assignee_null);
	payload_uuid(&payload, "assignee_id", a.to_assignee, a.to_assignee_null);
	payload_uuid(&payload, "from_team_id", a.from_team, a.from_team_null);
	payload_uuid(&payload, "team_id", a.to_team, a.to_team_null);
	woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
	woes_emit_event(row->owner, row->workspace, "conversation.assigned", row->id, false, &payload);
}

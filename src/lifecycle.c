/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *		The conversation lifecycle: the one table of legal status changes,
 *		the status hook of the conversation trigger (every write path is held
 *		to the table and records its history), and the status API.
 *
 * The automatic moves a customer message causes are messages.c's; the
 * trigger that calls the hook is conversations.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "context.h"
#include "conversations.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "lifecycle.h"
#include "rowupdate.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_can_transition);
PG_FUNCTION_INFO_V1(woes_next_statuses);

/*
 * The lifecycle, in one place.  allowed[from][to]; the diagonal is a
 * no-op (not a transition) except snoozed -> snoozed, a re-snooze.
 */
static const bool allowed[WOES_STATUS_COUNT][WOES_STATUS_COUNT] = {
	/* to:        open   pending snoozed resolved closed */
	/* open */ {false, true, true, true, true},
	/* pending */ {true, false, true, true, true},
	/* snoozed */ {true, true, true, true, true},
	/* resolved */ {true, false, false, false, true},
	/* closed */ {false, false, false, false, false},
};

/*
 * woes_status_can_transition
 *		Pure table lookup: no catalog access, no allocation.
 */
bool
woes_status_can_transition(int from, int to)
{
	if (from < 0 || from >= WOES_STATUS_COUNT || to < 0 || to >= WOES_STATUS_COUNT)
		return false;
	return allowed[from][to];
}

/* "open, pending" — the statuses reachable from "from", for hints */
static char *
reachable_list(int from)
{
	StringInfoData buf;
	int			to;

	initStringInfo(&buf);
	for (to = 0; to < WOES_STATUS_COUNT; to++)
	{
		if (!woes_status_can_transition(from, to))
			continue;
		if (buf.len > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, woes_enum_label(&woes_status_type, to));
	}
	return buf.data;
}

static void
report_invalid_transition(int from, int to)
{
	const char *f = woes_enum_label(&woes_status_type, from);

	if (from == WOES_STATUS_CLOSED)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_TRANSITION),
				 errmsg("invalid status transition from %s to %s", f,
						woes_enum_label(&woes_status_type, to)),
				 errdetail("A closed conversation is final."),
				 errhint("A new customer message starts a follow-up conversation.")));
	ereport(ERROR,
			(errcode(ERRCODE_WOES_INVALID_TRANSITION),
			 errmsg("invalid status transition from %s to %s", f,
					woes_enum_label(&woes_status_type, to)),
			 errhint("From %s a conversation can move to: %s.", f, reachable_list(from))));
}

/*
 * can_transition(from woes.status, to woes.status) returns boolean
 */
Datum
woes_can_transition(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(woes_status_can_transition((uint8) PG_GETARG_CHAR(0),
											  (uint8) PG_GETARG_CHAR(1)));
}

/*
 * next_statuses(status woes.status) returns woes.status[]
 *		The element type comes from the declared result, looked up once per
 *		call site and kept in fn_extra.
 */
Datum
woes_next_statuses(PG_FUNCTION_ARGS)
{
	int			from = (uint8) PG_GETARG_CHAR(0);
	Datum		elems[WOES_STATUS_COUNT];
	int			n = 0;
	int			to;
	Oid		   *elemtype = (Oid *) fcinfo->flinfo->fn_extra;

	if (elemtype == NULL)
	{
		Oid			arraytype = get_fn_expr_rettype(fcinfo->flinfo);

		elemtype = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, sizeof(Oid));
		*elemtype = OidIsValid(arraytype) ? get_element_type(arraytype) : InvalidOid;
		if (!OidIsValid(*elemtype))
			elog(ERROR, "could not determine the element type of next_statuses()");
		fcinfo->flinfo->fn_extra = elemtype;
	}
	(void) woes_enum_label(&woes_status_type, from);	/* validates */
	for (to = 0; to < WOES_STATUS_COUNT; to++)
		if (woes_status_can_transition(from, to))
			elems[n++] = CharGetDatum((char) to);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, *elemtype, 1, true, TYPALIGN_CHAR));
}


/*
 * write_status_event
 *		Append one woes.status_events row (from < 0: creation).
 */
static void
write_status_event(WoesConversationRow *row, int from, int to, bool until_null, Datum until)
{
	const pg_uuid_t *actor = woes_context_recorded_actor();
	const char *reason = woes_context_reason();
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};

	values[0] = row->workspace;
	values[1] = row->id;
	values[2] = CharGetDatum((char) from);
	nulls[2] = from < 0;
	values[3] = CharGetDatum((char) to);
	values[4] = CStringGetTextDatum(woes_context_actor_kind());
	nulls[5] = actor == NULL;
	values[5] = actor ? UUIDPGetDatum((pg_uuid_t *) actor) : (Datum) 0;
	nulls[6] = reason == NULL;
	values[6] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	values[7] = until;
	nulls[7] = until_null;
	(void) woes_insert_direct(WOES_DIRECT_STATUS_EVENTS, values, nulls, from >= 0);
}

static void
misplaced_until(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_WOES_INVALID_SNOOZE),
			 errmsg("snoozed_until can only be set on a snoozed conversation"),
			 errhint("Snooze it with woes.snooze(conversation, until).")));
}

/* did the status change?  A new wake-up time of a snoozed one is a change */
static bool
status_changed(WoesConversationRow *row)
{
	bool		until_null,
				old_until_null;
	Datum		until,
				old_until;

	if (row->insert || row->from_status != row->to_status)
		return true;
	if (row->to_status != WOES_STATUS_SNOOZED)
		return false;
	until = woes_conversation_get(row, row->atts->snoozed_until, &until_null);
	old_until = heap_getattr(row->oldtuple, row->atts->snoozed_until, row->tupdesc, &old_until_null);
	return until_null != old_until_null ||
		(!until_null && DatumGetTimestampTz(until) != DatumGetTimestampTz(old_until));
}

/*
 * woes_lifecycle_check
 *		INSERT: a conversation starts open, or resolved (a blocked contact's
 *		always does).  UPDATE: a status change must be in the table above;
 *		snoozed needs a future snoozed_until, and leaving it clears it;
 *		resolving or closing clears waiting_since.
 */
void
woes_lifecycle_check(WoesConversationRow *row)
{
	bool		until_null;

	(void) woes_conversation_get(row, row->atts->snoozed_until, &until_null);
	if (row->insert)
	{
		if (row->to_status != WOES_STATUS_OPEN && row->to_status != WOES_STATUS_RESOLVED)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_TRANSITION),
					 errmsg("a new conversation cannot start %s",
							woes_enum_label(&woes_status_type, row->to_status)),
					 errhint("A conversation starts open (or resolved, for a blocked contact).")));
		/* a blocked contact's conversation is kept, but starts resolved */
		woes_conversation_facts(row);
		if (row->contact_blocked && row->to_status == WOES_STATUS_OPEN)
		{
			row->to_status = WOES_STATUS_RESOLVED;
			woes_conversation_set(row, row->atts->status, CharGetDatum((char) WOES_STATUS_RESOLVED), false);
		}
		if (!until_null)
			misplaced_until();
		return;
	}

	if (!status_changed(row))
	{
		/* no status change: only refuse a snooze time out of place */
		if (!until_null && row->to_status != WOES_STATUS_SNOOZED)
			misplaced_until();
		return;
	}
	if (!woes_status_can_transition(row->from_status, row->to_status))
		report_invalid_transition(row->from_status, row->to_status);
	if (row->to_status == WOES_STATUS_SNOOZED)
	{
		Datum		until = woes_conversation_get(row, row->atts->snoozed_until, &until_null);

		if (until_null || DatumGetTimestampTz(until) <= GetCurrentTransactionStartTimestamp())
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_SNOOZE),
					 errmsg("snoozing needs a snoozed_until in the future"),
					 errhint("Pass the time the conversation should wake up, e.g. now() + interval '1 day'.")));
	}
	else if (!until_null)
	{
		/* leaving snoozed clears the wake-up time; anywhere else it is a mistake */
		if (row->from_status == WOES_STATUS_SNOOZED)
			woes_conversation_set(row, row->atts->snoozed_until, (Datum) 0, true);
		else
			misplaced_until();
	}
	/* a resolved or closed conversation waits for nobody */
	if (row->to_status == WOES_STATUS_RESOLVED || row->to_status == WOES_STATUS_CLOSED)
	{
		(void) woes_conversation_get(row, row->atts->waiting_since, &until_null);
		if (!until_null)
			woes_conversation_set(row, row->atts->waiting_since, (Datum) 0, true);
	}
}

/*
 * woes_lifecycle_record
 *		Every status change, and every creation, writes one status_events
 *		row; a change also writes a conversation.status_changed event.
 */
void
woes_lifecycle_record(WoesConversationRow *row)
{
	bool		until_null;
	Datum		until;
	WoesPayload payload;

	if (!status_changed(row))
		return;
	until = woes_conversation_get(row, row->atts->snoozed_until, &until_null);
	write_status_event(row, row->from_status, row->to_status, until_null, until);
	if (row->insert)
		return;					/* conversation.created says it */
	woes_payload_begin(&payload);
	woes_payload_text(&payload, "from", woes_enum_label(&woes_status_type, row->from_status));
	woes_payload_text(&payload, "to", woes_enum_label(&woes_status_type, row->to_status));
	woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
	woes_emit_event(row->owner, row->workspace, "conversation.status_changed", row->id, false, &payload);
}

/*
 * The status API: woes.transition() and its shorthands.
 *
 * One compare-and-set UPDATE, run as the caller (row-level security
 * decides what it may touch), with a plan kept per backend -- or the same
 * update written directly where the statement could do no more (see
 * change_update below and rowupdate.c).  The trigger
 * above judges the change on the locked, latest row version and writes the
 * history; this function only checks its arguments, hands the reason to the
 * trigger (in woes.reason, set in the call's one GUC scope with the pinned
 * search_path: see woes_api_begin) and reports whether anything changed.
 * In C rather than PL/pgSQL: it is the hot path of every status change, and
 * the shorthands as SQL functions went through the SQL-function executor on
 * top of it.
 */
PG_FUNCTION_INFO_V1(woes_transition);
PG_FUNCTION_INFO_V1(woes_resolve);
PG_FUNCTION_INFO_V1(woes_reopen);
PG_FUNCTION_INFO_V1(woes_close);
PG_FUNCTION_INFO_V1(woes_set_pending);
PG_FUNCTION_INFO_V1(woes_snooze);

/*
 * The compare-and-set below, written directly (rowupdate.c) where it can
 * be: the new status and snooze time, unless the row already has them.
 * The audience check of status_change admits exactly the audiences that
 * woes's own UPDATE policy on conversations admits, each of which may read
 * every conversation of the workspace: so where all the table's policies
 * are woes's own, the statement's policies would let the row through, and
 * the update vouches for them (policies_vouched).
 */
typedef struct StatusChange
{
	int			to;
	Datum		until;
	bool		until_null;
} StatusChange;

enum
{
	CHANGE_STATUS,
	CHANGE_SNOOZED_UNTIL,
	CHANGE_NCOLUMNS
};

static const WoesUpdateColumn change_columns[CHANGE_NCOLUMNS] = {
	[CHANGE_STATUS] = {"status", "status"},
	[CHANGE_SNOOZED_UNTIL] = {"snoozed_until", "timestamptz"},
};

/* WHERE status <> $3 OR ($3 = 'snoozed' AND snoozed_until IS DISTINCT FROM $4) */
static bool
change_compute(const Datum *old, const bool *oldnull, Datum *v, bool *n, void *arg)
{
	StatusChange *c = (StatusChange *) arg;
	bool		other_status = !oldnull[CHANGE_STATUS] &&
		(uint8) DatumGetChar(old[CHANGE_STATUS]) != c->to;
	bool		other_until = oldnull[CHANGE_SNOOZED_UNTIL] != c->until_null ||
		(!c->until_null &&
		 DatumGetTimestampTz(old[CHANGE_SNOOZED_UNTIL]) != DatumGetTimestampTz(c->until));

	if (!other_status && !(c->to == WOES_STATUS_SNOOZED && other_until))
		return false;
	v[CHANGE_STATUS] = CharGetDatum((char) c->to);
	n[CHANGE_STATUS] = false;
	v[CHANGE_SNOOZED_UNTIL] = c->until;
	n[CHANGE_SNOOZED_UNTIL] = c->until_null;
	return true;
}

static WoesRowUpdate change_update = {
	"conversations", CHANGE_NCOLUMNS, CHANGE_NCOLUMNS, change_columns, change_compute
};

static bool
status_change(FunctionCallInfo fcinfo, Datum conversation, bool conversation_null, int to,
			  bool to_null, Datum reason, bool reason_null, Datum until, bool until_null)
{
	static SPIPlanPtr update_plan = NULL;
	static SPIPlanPtr exists_plan = NULL;
	pg_uuid_t	workspace;
	int			nestlevel;
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int			ret;
	bool		changed = false;
	bool		found = true;

	woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_AGENT) |
						  WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
						  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN),
						  "changing a conversation's status");
	if (conversation_null || to_null)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("conversation and to_status must not be null")));
	(void) woes_enum_label(&woes_status_type, to);	/* validates */
	if (!until_null && to != WOES_STATUS_SNOOZED)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_SNOOZE),
				 errmsg("snooze_until is only for snoozing"),
				 errhint("Pass snooze_until only with to_status => 'snoozed'.")));
	workspace = *woes_context_workspace();
	{
		/* on a Citus coordinator: the whole call on the tenant's worker */
		Datum		forwarded;
		bool		forwarded_null;

		if (woes_forward_call(fcinfo, &workspace, &forwarded, &forwarded_null))
			return DatumGetBool(forwarded);
	}

	values[0] = UUIDPGetDatum(&workspace);
	values[1] = conversation;
	values[2] = CStringGetTextDatum(woes_enum_label(&woes_status_type, to));
	values[3] = until;
	nulls[3] = until_null ? 'n' : ' ';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = woes_api_begin(true, reason_null ? NULL : TextDatumGetCString(reason));
	{
		StatusChange change = {to, until, until_null};

		switch (woes_update_direct(&change_update, &workspace, conversation, true, &change,
								   CurrentMemoryContext, NULL, NULL, &found))
		{
			case WOES_UPDATE_DONE:
				changed = true;
				goto done;
			case WOES_UPDATE_NONE:
				goto done;
			case WOES_UPDATE_USE_SQL:
				found = true;
				break;
		}
		if (update_plan == NULL)
		{
			/* built-in parameter types only: a kept plan outlives a re-created extension's types */
			Oid			types[4] = {UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID};
			SPIPlanPtr	plan;

			/*
			 * Compare-and-set: the row is changed only if it is not already
			 * there.  If another transaction changes it first, the UPDATE
			 * waits, re-reads the new version and re-checks the WHERE; the
			 * trigger then judges the transition from that latest version.
			 */
			plan = SPI_prepare("UPDATE woes.conversations c"
							   " SET status = $3::woes.status, snoozed_until = $4"
							   " WHERE c.workspace_id OPERATOR(pg_catalog.=) $1"
							   " AND c.id OPERATOR(pg_catalog.=) $2"
							   " AND (c.status OPERATOR(woes.<>) $3::woes.status"
							   " OR ($3 OPERATOR(pg_catalog.=) 'snoozed'"
							   " AND c.snoozed_until IS DISTINCT FROM $4))",
							   4, types);
			if (plan == NULL || SPI_keepplan(plan) != 0)
				elog(ERROR, "could not prepare the status update");
			update_plan = plan;
		}
		ret = SPI_execute_plan(update_plan, values, nulls, false, 0);
		if (ret != SPI_OK_UPDATE)
			elog(ERROR, "could not update the conversation: %s", SPI_result_code_string(ret));
		changed = SPI_processed > 0;
		if (!changed)
		{
			/* already there, or not there at all (for this caller) */
			if (exists_plan == NULL)
			{
				Oid			types[2] = {UUIDOID, UUIDOID};
				SPIPlanPtr	plan;

				plan = SPI_prepare("SELECT FROM woes.conversations c"
								   " WHERE c.workspace_id OPERATOR(pg_catalog.=) $1"
								   " AND c.id OPERATOR(pg_catalog.=) $2",
								   2, types);
				if (plan == NULL || SPI_keepplan(plan) != 0)
					elog(ERROR, "could not prepare the conversation lookup");
				exists_plan = plan;
			}
			ret = SPI_execute_plan(exists_plan, values, nulls, false, 1);
			if (ret != SPI_OK_SELECT)
				elog(ERROR, "could not look up the conversation: %s", SPI_result_code_string(ret));
			found = SPI_processed > 0;
		}
	}
done:
	woes_api_end(nestlevel);
	SPI_finish();

	if (!found)
		woes_conversation_not_found(DatumGetUUIDP(conversation));
	return changed;
}

#define ARG_OR_NULL(n) (PG_NARGS() > (n) && !PG_ARGISNULL(n))

/*
 * transition(conversation uuid, to_status woes.status, reason text DEFAULT NULL,
 *			  snooze_until timestamptz DEFAULT NULL) returns boolean
 *		false if the conversation already was there (a retry is a safe no-op).
 */
Datum
woes_transition(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(status_change(fcinfo,
								 PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0),
								 PG_ARGISNULL(1) ? 0 : (uint8) PG_GETARG_CHAR(1), PG_ARGISNULL(1),
								 ARG_OR_NULL(2) ? PG_GETARG_DATUM(2) : (Datum) 0, !ARG_OR_NULL(2),
								 ARG_OR_NULL(3) ? PG_GETARG_DATUM(3) : (Datum) 0, !ARG_OR_NULL(3)));
}

/* the shorthands: (conversation uuid, reason text DEFAULT NULL) */
static Datum
shorthand(FunctionCallInfo fcinfo, int to)
{
	PG_RETURN_BOOL(status_change(fcinfo,
								 PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0),
								 to, false,
								 ARG_OR_NULL(1) ? PG_GETARG_DATUM(1) : (Datum) 0, !ARG_OR_NULL(1),
								 (Datum) 0, true));
}

Datum
woes_resolve(PG_FUNCTION_ARGS)
{
	return shorthand(fcinfo, WOES_STATUS_RESOLVED);
}

Datum
woes_reopen(PG_FUNCTION_ARGS)
{
	return shorthand(fcinfo, WOES_STATUS_OPEN);
}

Datum
woes_close(PG_FUNCTION_ARGS)
{
	return shorthand(fcinfo, WOES_STATUS_CLOSED);
}

Datum
woes_set_pending(PG_FUNCTION_ARGS)
{
	return shorthand(fcinfo, WOES_STATUS_PENDING);
}

/* snooze(conversation uuid, until timestamptz, reason text DEFAULT NULL) */
Datum
woes_snooze(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(status_change(fcinfo,
								 PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0), PG_ARGISNULL(0),
								 WOES_STATUS_SNOOZED, false,
								 ARG_OR_NULL(2) ? PG_GETARG_DATUM(2) : (Datum) 0, !ARG_OR_NULL(2),
								 PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1)));
}

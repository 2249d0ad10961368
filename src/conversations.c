/*-------------------------------------------------------------------------
 *
 * conversations.c
 *		The one BEFORE trigger on woes.conversations: it reads the row once
 *		and runs each concern's hook (see conversations.h).
 *
 * Concurrency: the trigger judges the row version it is about to replace,
 * which the executor has locked (and re-read, if a concurrent transaction
 * changed it first).  So every rule is a compare-and-set on the latest
 * committed state; nothing is decided on a stale read.
 *
 * History and outbox rows are written as the table owner: nobody is
 * granted INSERT on them, so they cannot be forged with a raw INSERT.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "context.h"
#include "conversations.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "handoff.h"
#include "ids.h"
#include "metrics.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_lifecycle_trigger);

/*
 * The hooks, in the order they run: each pass runs them all.  A concern
 * that judges a conversation change adds itself here (a concern that only
 * records has no check).
 */
typedef struct ConversationHook
{
	void		(*check) (WoesConversationRow *row);
	void		(*record) (WoesConversationRow *row);
} ConversationHook;

static const ConversationHook hooks[] = {
	{woes_lifecycle_check, woes_lifecycle_record},	/* status: lifecycle.c */
	{woes_handoff_check, woes_handoff_record},	/* control: handoff.c */
	{woes_assignment_check, woes_assignment_record},	/* assignee, team: assignment.c */
	{NULL, woes_load_record},	/* the operators' loads: routing.c */
	{woes_fields_check, NULL},	/* required custom fields: fields.c */
	{woes_metrics_check, NULL},	/* the metric columns, from the settled row: metrics.c */
};

/* attribute numbers, looked up by name once per relation */
static const WoesConversationAtts *
conversation_atts(Relation rel)
{
	static WoesConversationAtts atts;
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (atts.relid != RelationGetRelid(rel))
	{
		atts.workspace_id = woes_trigger_attnum(tupdesc, "workspace_id");
		atts.id = woes_trigger_attnum(tupdesc, "id");
		atts.number = woes_trigger_attnum(tupdesc, "number");
		atts.channel = woes_trigger_attnum(tupdesc, "channel");
		atts.status = woes_trigger_attnum(tupdesc, "status");
		atts.control = woes_trigger_attnum(tupdesc, "control");
		atts.controller_id = woes_trigger_attnum(tupdesc, "controller_id");
		atts.contact_id = woes_trigger_attnum(tupdesc, "contact_id");
		atts.assignee_id = woes_trigger_attnum(tupdesc, "assignee_id");
		atts.team_id = woes_trigger_attnum(tupdesc, "team_id");
		atts.snoozed_until = woes_trigger_attnum(tupdesc, "snoozed_until");
		atts.waiting_since = woes_trigger_attnum(tupdesc, "waiting_since");
		atts.relid = RelationGetRelid(rel);
	}
	return &atts;
}

Datum
woes_conversation_get(WoesConversationRow *row, int attnum, bool *isnull)
{
	return heap_getattr(row->newtuple, attnum, row->tupdesc, isnull);
}

void
woes_conversation_set(WoesConversationRow *row, int attnum, Datum value, bool isnull)
{
	row->newtuple = heap_modify_tuple_by_cols(row->newtuple, row->tupdesc, 1, &attnum, &value, &isnull);
}

/*
 * woes_conversation_facts
 *		What decides a new conversation's start: is the contact blocked, and
 *		does an active agent serve the channel (handoff.h owns that rule)?
 *		One read, as the owner (it is the trigger's business, whoever
 *		inserts), for every hook.
 */
void
woes_conversation_facts(WoesConversationRow *row)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		values[3];
	bool		cnull,
				chnull;
	int			ret;

	if (row->facts_read)
		return;
	row->facts_read = true;
	row->contact_blocked = row->agent_serves = false;
	values[0] = row->workspace;
	values[1] = woes_conversation_get(row, row->atts->contact_id, &cnull);
	values[2] = woes_conversation_get(row, row->atts->channel, &chnull);
	if (cnull || chnull)
		return;					/* NOT NULL says so later */

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept("SELECT coalesce((SELECT blocked FROM woes.contacts"
								 "   WHERE workspace_id OPERATOR(pg_catalog.=) $1"
								 "     AND id OPERATOR(pg_catalog.=) $2), false),"
								 " " WOES_AGENT_SERVES_SQL("$1", "$3"),
								 3, types);
	ret = SPI_execute_plan(plan, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the contact and agents: %s", SPI_result_code_string(ret));
	{
		bool		isnull;

		row->contact_blocked = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		row->agent_serves = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
}

/*
 * woes_conversation_not_found
 *		The one answer for a conversation the caller cannot reach: another
 *		workspace's, a customer's that is not its own, or none at all.  The
 *		message names the id the caller gave, if any.
 */
void
woes_conversation_not_found(const pg_uuid_t *conversation)
{
	if (conversation == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_FOUND),
				 errmsg("conversation not found in this workspace")));
	ereport(ERROR,
			(errcode(ERRCODE_WOES_NOT_FOUND),
			 errmsg("conversation %s not found in this workspace", woes_uuid_text(conversation))));
}

/* the outbox event of a new conversation, with what the hooks settled */
static void
conversation_created(WoesConversationRow *row)
{
	WoesPayload payload;
	bool		numnull,
				chnull;
	Datum		number = woes_conversation_get(row, row->atts->number, &numnull);
	Datum		channel = woes_conversation_get(row, row->atts->channel, &chnull);

	woes_payload_begin(&payload);
	woes_payload_int64(&payload, "number", numnull ? 0 : DatumGetInt64(number));
	woes_payload_text(&payload, "channel", chnull ? "" : TextDatumGetCString(channel));
	woes_payload_text(&payload, "status", woes_enum_label(&woes_status_type, row->to_status));
	woes_payload_text(&payload, "control", woes_enum_label(&woes_control_type, row->to_control));
	woes_emit_event(row->owner, row->workspace, "conversation.created", row->id, false, &payload);
}

/*
 * lifecycle() trigger: BEFORE INSERT OR UPDATE ON woes.conversations FOR
 * EACH ROW, named to fire after the other BEFORE triggers so no later one
 * can drop a row whose history was already written.  Runs as the owner
 * (woes_trigger_as_owner, which checks the trigger protocol first).
 */
static Datum
conversation_trigger_body(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	WoesConversationRow row;
	bool		isnull;
	int			i;

	memset(&row, 0, sizeof(row));
	row.rel = trigdata->tg_relation;
	row.tupdesc = RelationGetDescr(row.rel);
	row.owner = row.rel->rd_rel->relowner;
	row.insert = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	row.newtuple = row.insert ? trigdata->tg_trigtuple : trigdata->tg_newtuple;
	if (woes_restoring())
		return PointerGetDatum(row.newtuple);

	row.atts = conversation_atts(row.rel);
	{
		bool		wsnull,
					idnull;

		row.workspace = heap_getattr(row.newtuple, row.atts->workspace_id, row.tupdesc, &wsnull);
		row.id = heap_getattr(row.newtuple, row.atts->id, row.tupdesc, &idnull);
		/* NOT NULL is checked only after BEFORE triggers: check it here */
		if (wsnull || idnull)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("a conversation needs a workspace_id and an id"),
					 errhint("Leave them out: they default to the context's workspace and a new id.")));
	}
	row.to_status = (uint8) DatumGetChar(heap_getattr(row.newtuple, row.atts->status, row.tupdesc, &isnull));
	{
		Datum		ctl = heap_getattr(row.newtuple, row.atts->control, row.tupdesc, &isnull);

		row.to_control = isnull ? -1 : (uint8) DatumGetChar(ctl);
	}
	if (row.insert)
		row.from_status = row.from_control = -1;
	else
	{
		row.oldtuple = trigdata->tg_trigtuple;
		row.from_status = (uint8) DatumGetChar(heap_getattr(row.oldtuple, row.atts->status, row.tupdesc, &isnull));
		row.from_control = (uint8) DatumGetChar(heap_getattr(row.oldtuple, row.atts->control, row.tupdesc, &isnull));
	}

	for (i = 0; i < (int) lengthof(hooks); i++)
		if (hooks[i].check)
			hooks[i].check(&row);
	for (i = 0; i < (int) lengthof(hooks); i++)
		if (hooks[i].record)
			hooks[i].record(&row);
	if (row.insert)
		conversation_created(&row);
	return PointerGetDatum(row.newtuple);
}

Datum
woes_lifecycle_trigger(PG_FUNCTION_ARGS)
{
	return woes_trigger_as_owner(fcinfo, "woes.lifecycle()", WOES_FIRED_BY_INSERT | WOES_FIRED_BY_UPDATE,
								 conversation_trigger_body);
}

/*-------------------------------------------------------------------------
 *
 * links.c
 *		The outbox side of what a conversation is linked to -- its tags
 *		(woes.conversation_tags) and its product issues
 *		(woes.conversation_issues) -- and of an issue's state.
 *
 * woes.link_event(insert_kind, delete_kind, id_column), AFTER INSERT OR
 * DELETE FOR EACH ROW on a link table, writes insert_kind for every link
 * really made and delete_kind for every link removed -- by the API, a raw
 * INSERT or DELETE, or the removal of either end -- with the linked id
 * under id_column in the payload.  AFTER, not BEFORE: an INSERT ... ON
 * CONFLICT DO NOTHING that finds the link already there fires no AFTER row
 * trigger, so the same link twice is one event.
 *
 * woes.issue_state(), BEFORE UPDATE OF state ON woes.issues FOR EACH ROW,
 * records a change of an issue's normalised state, by any path: one
 * woes.issue_state_events row, an issue.state_changed event, and one
 * conversation.issue_state_changed event per linked conversation that is
 * still open (open, pending or snoozed), so "it shipped" reaches every
 * customer still waiting, through the outbox.
 *
 * A restore writes none of it (the dumped outbox and history have them).
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
#include "errcodes.h"
#include "events.h"
#include "ids.h"
#include "rowwriter.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_link_event);
PG_FUNCTION_INFO_V1(woes_issue_state);

Datum
woes_link_event(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	bool		inserted;
	bool		isnull;
	Datum		workspace,
				conversation,
				linked;
	const char *id_column;
	WoesPayload payload;
	WoesOwnerScope scope;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event)) ||
		trigdata->tg_trigger->tgnargs != 3)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("woes.link_event() must be fired AFTER INSERT OR DELETE FOR EACH ROW, with the insert and delete event kinds and the linked id column")));
	if (woes_restoring())
		return PointerGetDatum(NULL);
	rel = trigdata->tg_relation;
	inserted = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	tuple = trigdata->tg_trigtuple;
	tupdesc = RelationGetDescr(rel);
	id_column = trigdata->tg_trigger->tgargs[2];
	workspace = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "workspace_id"), tupdesc, &isnull);
	conversation = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "conversation_id"), tupdesc, &isnull);
	linked = heap_getattr(tuple, woes_trigger_attnum(tupdesc, id_column), tupdesc, &isnull);

	/* the outbox is written as the table owner, as every woes trigger does */
	woes_owner_begin(&scope, rel->rd_rel->relowner);
	woes_payload_begin(&payload);
	woes_payload_uuid(&payload, id_column, linked);
	woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
	woes_emit_event(rel->rd_rel->relowner, workspace,
					trigdata->tg_trigger->tgargs[inserted ? 0 : 1],
					conversation, false, &payload);
	woes_owner_end(&scope);
	return PointerGetDatum(NULL);
}

static const char *
text_column(HeapTuple tuple, TupleDesc tupdesc, const char *name)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, woes_trigger_attnum(tupdesc, name), tupdesc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static void
state_payload(WoesPayload *payload, Datum issue, const char *from, const char *to)
{
	woes_payload_begin(payload);
	woes_payload_uuid(payload, "issue_id", issue);
	woes_payload_text(payload, "from", from);
	woes_payload_text(payload, "to", to);
	woes_payload_text(payload, "actor_kind", woes_context_actor_kind());
}

static Datum
issue_state_body(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	HeapTuple	oldtuple = trigdata->tg_trigtuple;
	HeapTuple	newtuple = trigdata->tg_newtuple;
	Oid			owner = rel->rd_rel->relowner;
	static SPIPlanPtr open_plan = NULL;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		values[7];
	bool		nulls[7];
	bool		isnull;
	Datum		workspace,
				issue;
	const char *from,
			   *to,
			   *provider_state;
	const pg_uuid_t *actor;
	WoesPayload payload;
	Datum	   *conversations;
	uint64		n,
				i;
	int			ret;

	if (woes_restoring())
		return PointerGetDatum(newtuple);
	from = text_column(oldtuple, tupdesc, "state");
	to = text_column(newtuple, tupdesc, "state");
	if (from == NULL || to == NULL || strcmp(from, to) == 0)
		return PointerGetDatum(newtuple);	/* NOT NULL says so; no change */
	workspace = heap_getattr(newtuple, woes_trigger_attnum(tupdesc, "workspace_id"), tupdesc, &isnull);
	issue = heap_getattr(newtuple, woes_trigger_attnum(tupdesc, "id"), tupdesc, &isnull);
	provider_state = text_column(newtuple, tupdesc, "provider_state");
	actor = woes_context_recorded_actor();

	/* the history row, written as the owner like every history */
	memset(nulls, 0, sizeof(nulls));
	values[0] = workspace;
	values[1] = issue;
	values[2] = CStringGetTextDatum(from);
	values[3] = CStringGetTextDatum(to);
	values[4] = provider_state ? CStringGetTextDatum(provider_state) : (Datum) 0;
	nulls[4] = provider_state == NULL;
	values[5] = CStringGetTextDatum(woes_context_actor_kind());
	values[6] = actor ? UUIDPGetDatum((pg_uuid_t *) actor) : (Datum) 0;
	nulls[6] = actor == NULL;
	(void) woes_insert_direct(WOES_DIRECT_ISSUE_STATE_EVENTS, values, nulls, false);

	state_payload(&payload, issue, from, to);
	woes_emit_event(owner, workspace, "issue.state_changed", (Datum) 0, true, &payload);

	/* every linked conversation a customer still waits on, read first */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (open_plan == NULL)
		open_plan = woes_prepare_kept(
			"SELECT l.conversation_id FROM woes.conversation_issues l"
			"  JOIN woes.conversations c ON c.workspace_id OPERATOR(pg_catalog.=) l.workspace_id"
			"   AND c.id OPERATOR(pg_catalog.=) l.conversation_id"
			" WHERE l.workspace_id OPERATOR(pg_catalog.=) $1 AND l.issue_id OPERATOR(pg_catalog.=) $2"
			"   AND c.status OPERATOR(woes.<>) 'resolved' AND c.status OPERATOR(woes.<>) 'closed'"
			" ORDER BY l.conversation_id", 2, types);
	ret = SPI_execute_plan(open_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the issue's conversations: %s", SPI_result_code_string(ret));
	n = SPI_processed;
	conversations = (Datum *) SPI_palloc(sizeof(Datum) * (n + 1));
	for (i = 0; i < n; i++)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
		pg_uuid_t  *copy = SPI_palloc(sizeof(pg_uuid_t));

		memcpy(copy, DatumGetUUIDP(d), sizeof(pg_uuid_t));
		conversations[i] = UUIDPGetDatum(copy);
	}
	SPI_finish();
	for (i = 0; i < n; i++)
	{
		state_payload(&payload, issue, from, to);
		woes_emit_event(owner, workspace, "conversation.issue_state_changed", conversations[i], false, &payload);
	}
	return PointerGetDatum(newtuple);
}

Datum
woes_issue_state(PG_FUNCTION_ARGS)
{
	return woes_trigger_as_owner(fcinfo, "woes.issue_state()", WOES_FIRED_BY_UPDATE, issue_state_body);
}

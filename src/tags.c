/*-------------------------------------------------------------------------
 *
 * tags.c
 *		The outbox side of tags: woes.tag_event(), AFTER INSERT OR DELETE
 *		FOR EACH ROW on woes.conversation_tags, writes conversation.tagged or
 *		conversation.untagged for every tag really added to or removed from
 *		a conversation -- by woes.tag/untag, a raw INSERT or DELETE, or the
 *		removal of a tag definition or a conversation.  AFTER, not BEFORE:
 *		an INSERT ... ON CONFLICT DO NOTHING that finds the tag already there
 *		fires no AFTER row trigger, so the same tag twice is one event.  A
 *		restore writes none (the dumped outbox has them).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/rel.h"

#include "context.h"
#include "errcodes.h"
#include "events.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_tag_event);

Datum
woes_tag_event(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	bool		inserted;
	bool		isnull;
	Datum		workspace,
				conversation,
				tag;
	WoesPayload payload;
	WoesOwnerScope scope;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!(TRIGGER_FIRED_BY_INSERT(trigdata->tg_event) || TRIGGER_FIRED_BY_DELETE(trigdata->tg_event)))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("woes.tag_event() must be fired AFTER INSERT OR DELETE FOR EACH ROW")));
	/* a restore loads the events as they were dumped */
	if (woes_restoring())
		return PointerGetDatum(NULL);
	inserted = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	tuple = trigdata->tg_trigtuple;
	tupdesc = RelationGetDescr(trigdata->tg_relation);
	workspace = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "workspace_id"), tupdesc, &isnull);
	conversation = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "conversation_id"), tupdesc, &isnull);
	tag = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "tag_id"), tupdesc, &isnull);

	/* the outbox is written as the table owner, as every woes trigger does */
	woes_owner_begin(&scope, trigdata->tg_relation->rd_rel->relowner);
	woes_payload_begin(&payload);
	woes_payload_uuid(&payload, "tag_id", tag);
	woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
	woes_emit_event(trigdata->tg_relation->rd_rel->relowner, workspace,
					inserted ? "conversation.tagged" : "conversation.untagged",
					conversation, false, &payload);
	woes_owner_end(&scope);
	return PointerGetDatum(NULL);
}

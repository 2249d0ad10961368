/*-------------------------------------------------------------------------
 *
 * merge.c
 *		The record of a merge (woes.merges): written only when a
 *		conversation's merged_into_id is set (the merged trigger, as the
 *		owner), with the actor the context names, and told to the outbox
 *		once per conversation -- the source's stream and the target's each
 *		get a conversation.merged event with both ids.
 *
 * woes.merge() itself is SQL (47_merge.sql): it locks both conversations,
 * closes the source, sets its pointer and moves what belongs to it; a
 * message written to a merged conversation later finds its way to the
 * target in the message trigger (messages.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"

#include "context.h"
#include "errcodes.h"
#include "events.h"
#include "ids.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_merge_recorded);

static void
merged_event(Oid owner, Datum workspace, Datum conversation, Datum source, Datum target)
{
	WoesPayload payload;

	woes_payload_begin(&payload);
	woes_payload_uuid(&payload, "source_id", source);
	woes_payload_uuid(&payload, "target_id", target);
	woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
	woes_emit_event(owner, workspace, "conversation.merged", conversation, false, &payload);
}

/*
 * merge_recorded() trigger: BEFORE INSERT ON woes.merges FOR EACH ROW.
 *
 * Only the merged trigger (SECURITY DEFINER: the owner of woes's tables)
 * writes a merge, when a conversation is merged: a row from anyone else
 * would be a forged history.  The row is in the
 * context's workspace; its actor is the context's (whatever the writer
 * said); its two events go out with it.  A restore keeps the row as
 * dumped and writes no event (the dumped outbox has them).
 */
Datum
woes_merge_recorded(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	tuple;
	Oid			owner;
	bool		isnull;
	Datum		workspace,
				source,
				target;
	int			cols[2];
	Datum		vals[2];
	bool		nulls[2] = {false, false};
	const pg_uuid_t *actor;
	WoesOwnerScope scope;

	woes_check_trigger(fcinfo, "woes.merge_recorded()", true, WOES_FIRED_BY_INSERT);
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	tuple = trigdata->tg_trigtuple;
	owner = rel->rd_rel->relowner;
	if (woes_restoring())
		return PointerGetDatum(tuple);
	if (!has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_ALLOWED),
				 errmsg("woes.merges is written only when a conversation is merged"),
				 errhint("Use woes.merge(source, target).")));

	workspace = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "workspace_id"), tupdesc, &isnull);
	woes_require_in_workspace(isnull ? NULL : DatumGetUUIDP(workspace));
	source = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "source_id"), tupdesc, &isnull);
	if (isnull)
		ereport(ERROR, (errcode(ERRCODE_WOES_INVALID_ARGUMENT), errmsg("a merge needs a source_id")));
	target = heap_getattr(tuple, woes_trigger_attnum(tupdesc, "target_id"), tupdesc, &isnull);
	if (isnull)
		ereport(ERROR, (errcode(ERRCODE_WOES_INVALID_ARGUMENT), errmsg("a merge needs a target_id")));

	cols[0] = woes_trigger_attnum(tupdesc, "actor_kind");
	vals[0] = CStringGetTextDatum(woes_context_actor_kind());
	cols[1] = woes_trigger_attnum(tupdesc, "actor_id");
	actor = woes_context_actor();
	if (actor)
		vals[1] = woes_uuid_copy(UUIDPGetDatum((pg_uuid_t *) actor));
	else
		nulls[1] = true;
	tuple = heap_modify_tuple_by_cols(tuple, tupdesc, 2, cols, vals, nulls);

	woes_owner_begin(&scope, owner);
	merged_event(owner, workspace, source, source, target);
	merged_event(owner, workspace, target, source, target);
	woes_owner_end(&scope);
	return PointerGetDatum(tuple);
}

/*-------------------------------------------------------------------------
 *
 * fields.c
 *		Typed custom fields: the value trigger of woes.conversation_fields
 *		and the conversation hook "a conversation cannot be resolved while a
 *		required field is unset".
 *
 * A value is one row per (conversation, key), in a table of its own: no
 * customer policy reaches it (row-level security cannot hide a column of
 * woes.conversations from a customer who may read the row).  Whatever path
 * writes a value -- woes.set_field, a raw INSERT or UPDATE, a macro -- the
 * trigger judges it against the field's definition with the one rule,
 * woes.field_problem(type, options, value), which also decides whether a
 * definition may change (src/sql/38_fields.sql).
 *
 * Locks, so that no stored value and no resolved conversation breaks the
 * rules whatever runs at once:
 *  - a value write reads its definition FOR SHARE: a definition change
 *    waits for it, then checks every stored value with a fresh snapshot;
 *  - unsetting a value locks its conversation FOR SHARE (woes.set_field
 *    takes that lock first): a resolve waits for it, then finds the value
 *    gone with a fresh snapshot (READ COMMITTED), or, in REPEATABLE READ,
 *    fails to lock the deleted row (a serialization failure); an unset
 *    after a resolve sees the conversation resolved and is refused;
 *  - the resolve check locks the conversation's values FOR SHARE.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "context.h"
#include "conversations.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "ids.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_field_value);
PG_FUNCTION_INFO_V1(woes_field_event);

typedef struct FieldAtts
{
	Oid			relid;
	int			workspace_id;
	int			conversation_id;
	int			key;
	int			value;
} FieldAtts;

static const FieldAtts *
field_atts(Relation rel)
{
	static FieldAtts atts;
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (atts.relid != RelationGetRelid(rel))
	{
		atts.workspace_id = woes_trigger_attnum(tupdesc, "workspace_id");
		atts.conversation_id = woes_trigger_attnum(tupdesc, "conversation_id");
		atts.key = woes_trigger_attnum(tupdesc, "key");
		atts.value = woes_trigger_attnum(tupdesc, "value");
		atts.relid = RelationGetRelid(rel);
	}
	return &atts;
}

/*
 * A value to be stored: its field must be defined in the workspace, and the
 * value valid for the field's type and options.  The definition is read
 * FOR SHARE, latest version: a change of it waits until this commits.
 */
static void
check_value(Datum workspace, const char *key, Datum value)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {UUIDOID, TEXTOID, JSONBOID};
	Datum		values[3];
	bool		isnull;
	Datum		problem;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept("SELECT woes.field_problem(d.type, d.options, $3)"
								 "  FROM woes.field_definitions d"
								 " WHERE d.workspace_id OPERATOR(pg_catalog.=) $1"
								 "   AND d.key OPERATOR(pg_catalog.=) $2"
								 "   FOR SHARE",
								 3, types);
	values[0] = workspace;
	values[1] = CStringGetTextDatum(key);
	values[2] = value;
	ret = SPI_execute_plan(plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the field definition: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
	{
		SPI_finish();
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_FIELD),
				 errmsg("unknown field \"%s\"", key),
				 errhint("Define it first with woes.define_field(key, type, ...).")));
	}
	problem = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	/* the error aborts SPI too: raised before SPI_finish frees the reason */
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_FIELD),
				 errmsg("invalid value for field \"%s\": %s", key, TextDatumGetCString(problem))));
	SPI_finish();
}

/*
 * A value to be removed: refused when the field is required and the
 * conversation is resolved (a resolved conversation keeps its required
 * fields).  The conversation is locked FOR SHARE, latest version: a resolve
 * running at once either waits for this or is seen here.
 */
static void
check_unset(Datum workspace, Datum conversation, const char *key)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	bool		required = false;
	int			status = -1;
	int			ret;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept("SELECT c.status, coalesce((SELECT d.required FROM woes.field_definitions d"
								 "   WHERE d.workspace_id OPERATOR(pg_catalog.=) $1"
								 "     AND d.key OPERATOR(pg_catalog.=) $3), false)"
								 "  FROM woes.conversations c"
								 " WHERE c.workspace_id OPERATOR(pg_catalog.=) $1"
								 "   AND c.id OPERATOR(pg_catalog.=) $2"
								 "   FOR SHARE OF c",
								 3, types);
	values[0] = workspace;
	values[1] = conversation;
	values[2] = CStringGetTextDatum(key);
	ret = SPI_execute_plan(plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the conversation: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		status = (uint8) DatumGetChar(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		required = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
	/* no conversation: it is being deleted, and its values with it */
	if (required && status == WOES_STATUS_RESOLVED)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_REQUIRED_FIELDS),
				 errmsg("field \"%s\" is required and the conversation is resolved", key),
				 errhint("Reopen the conversation first, or set another value.")));
}

/*
 * field_value() trigger: BEFORE INSERT OR UPDATE OR DELETE ON
 * woes.conversation_fields FOR EACH ROW (named to fire after guard_update,
 * which keeps the key columns frozen).  Judges the value, or its removal.
 */
static Datum
field_value_body(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const FieldAtts *atts = field_atts(rel);
	HeapTuple	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	Datum		workspace,
				conversation,
				key,
				value;
	bool		wsnull,
				convnull,
				keynull,
				valnull;
	char	   *keytext;

	if (woes_restoring())
		return PointerGetDatum(tuple);
	workspace = heap_getattr(tuple, atts->workspace_id, tupdesc, &wsnull);
	conversation = heap_getattr(tuple, atts->conversation_id, tupdesc, &convnull);
	key = heap_getattr(tuple, atts->key, tupdesc, &keynull);
	value = heap_getattr(tuple, atts->value, tupdesc, &valnull);
	if (wsnull || convnull || keynull)
		return PointerGetDatum(tuple);	/* NOT NULL says so */
	/*
	 * The row's workspace first: the definitions are read as the owner, and
	 * row-level security judges the row only after the BEFORE triggers, so
	 * an error about another workspace's field would tell what it defines.
	 */
	woes_require_in_workspace(DatumGetUUIDP(workspace));
	keytext = TextDatumGetCString(key);

	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		check_unset(workspace, conversation, keytext);
	else if (valnull)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_FIELD),
				 errmsg("invalid value for field \"%s\": a value cannot be NULL", keytext),
				 errhint("Unset a field by deleting its row, or with woes.set_field(conversation, key, NULL).")));
	else
		check_value(workspace, keytext, value);
	return PointerGetDatum(tuple);
}

Datum
woes_field_value(PG_FUNCTION_ARGS)
{
	return woes_trigger_as_owner(fcinfo, "woes.field_value()",
								 WOES_FIRED_BY_INSERT | WOES_FIRED_BY_UPDATE | WOES_FIRED_BY_DELETE,
								 field_value_body);
}

/*
 * field_event() trigger: AFTER INSERT OR UPDATE OR DELETE ON
 * woes.conversation_fields FOR EACH ROW.  Writes conversation.field_changed
 * (the key, whether it is set; never the value) for a row that changed: an
 * upsert that found the value already there writes none (a BEFORE INSERT
 * trigger fires before the conflict is known; this one does not).
 */
Datum
woes_field_event(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	const FieldAtts *atts;
	HeapTuple	tuple;
	bool		isnull;
	bool		set;
	Datum		workspace,
				conversation;
	WoesOwnerScope scope;

	if (!CALLED_AS_TRIGGER(fcinfo) || !TRIGGER_FIRED_AFTER(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) || TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("woes.field_event() must be fired AFTER INSERT, UPDATE or DELETE FOR EACH ROW")));
	if (woes_restoring())
		return PointerGetDatum(NULL);
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	atts = field_atts(rel);
	set = !TRIGGER_FIRED_BY_DELETE(trigdata->tg_event);
	tuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		bool		oldnull,
					newnull;
		Datum		old = heap_getattr(trigdata->tg_trigtuple, atts->value, tupdesc, &oldnull);
		Datum		new = heap_getattr(tuple, atts->value, tupdesc, &newnull);

		if (!oldnull && !newnull && DatumGetBool(DirectFunctionCall2(jsonb_eq, old, new)))
			return PointerGetDatum(NULL);
	}
	workspace = heap_getattr(tuple, atts->workspace_id, tupdesc, &isnull);
	conversation = heap_getattr(tuple, atts->conversation_id, tupdesc, &isnull);

	/* the outbox is written as the table owner, as every woes trigger does */
	woes_owner_begin(&scope, rel->rd_rel->relowner);
	{
		WoesPayload payload;

		woes_payload_begin(&payload);
		woes_payload_text(&payload, "key", TextDatumGetCString(heap_getattr(tuple, atts->key, tupdesc, &isnull)));
		woes_payload_bool(&payload, "set", set);
		woes_payload_text(&payload, "actor_kind", woes_context_actor_kind());
		woes_emit_event(rel->rd_rel->relowner, workspace, "conversation.field_changed",
						conversation, false, &payload);
	}
	woes_owner_end(&scope);
	return PointerGetDatum(NULL);
}

/*
 * woes_fields_check
 *		The conversation hook: a change to resolved -- or a new conversation
 *		that starts resolved -- needs every required field of the workspace
 *		set; the error names each one missing.  A
 *		workspace without required fields costs one index probe per resolve;
 *		other changes cost a comparison.
 */
void
woes_fields_check(WoesConversationRow *row)
{
	static SPIPlanPtr required_plan = NULL;
	static SPIPlanPtr present_plan = NULL;
	Oid			types[2] = {UUIDOID, UUIDOID};
	Datum		values[2];
	bool		isnull;
	Datum		required;
	int64		number;
	StringInfoData missing;
	int			nmissing = 0;
	int			ret;
	uint64		i,
				j;
	List	   *present = NIL;
	ArrayType  *arr;
	Datum	   *keys;
	int			nkeys;

	if (row->to_status != WOES_STATUS_RESOLVED || row->from_status == WOES_STATUS_RESOLVED)
		return;
	/*
	 * A new conversation that starts resolved has no field set yet: it is
	 * judged like any resolve, except a blocked contact's, which starts
	 * resolved by rule (the lifecycle hook, before this one, says so).
	 */
	if (row->insert)
	{
		woes_conversation_facts(row);
		if (row->contact_blocked)
			return;
	}
	/* a schema older than the library (0.1.0 before its upgrade) has none */
	if (!OidIsValid(get_relname_relid("field_definitions", RelationGetNamespace(row->rel))))
		return;
	number = DatumGetInt64(woes_conversation_get(row, row->atts->number, &isnull));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (required_plan == NULL)
		required_plan = woes_prepare_kept("SELECT pg_catalog.array_agg(d.key ORDER BY d.key)"
										  "  FROM woes.field_definitions d"
										  " WHERE d.workspace_id OPERATOR(pg_catalog.=) $1 AND d.required",
										  1, types);
	values[0] = row->workspace;
	values[1] = row->id;
	ret = SPI_execute_plan(required_plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the required fields: %s", SPI_result_code_string(ret));
	required = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
	{
		SPI_finish();
		return;
	}
	/* copied out of SPI's memory before the next query frees it */
	arr = DatumGetArrayTypePCopy(required);
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &keys, NULL, &nkeys);

	if (present_plan == NULL)
		present_plan = woes_prepare_kept("SELECT v.key FROM woes.conversation_fields v"
										 " WHERE v.workspace_id OPERATOR(pg_catalog.=) $1"
										 "   AND v.conversation_id OPERATOR(pg_catalog.=) $2"
										 "   FOR SHARE",
										 2, types);
	ret = SPI_execute_plan(present_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the conversation's fields: %s", SPI_result_code_string(ret));
	for (j = 0; j < SPI_processed; j++)
		present = lappend(present, SPI_getvalue(SPI_tuptable->vals[j], SPI_tuptable->tupdesc, 1));

	initStringInfo(&missing);
	for (i = 0; i < (uint64) nkeys; i++)
	{
		char	   *key = TextDatumGetCString(keys[i]);
		ListCell   *lc;
		bool		found = false;

		foreach(lc, present)
			if (strcmp((char *) lfirst(lc), key) == 0)
				found = true;
		if (!found)
			appendStringInfo(&missing, "%s%s", nmissing++ ? ", " : "", key);
	}
	/* raised before SPI_finish frees the names */
	if (nmissing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_REQUIRED_FIELDS),
				 errmsg("conversation %lld cannot be resolved: required %s unset: %s",
						(long long) number, nmissing == 1 ? "field" : "fields", missing.data),
				 errhint("Set them with woes.set_field(conversation, key, value).")));
	SPI_finish();
}

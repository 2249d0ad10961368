/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *		The conversation lifecycle: the one table of legal status changes,
 *		the trigger that holds every write path to it and records history,
 *		and the automatic moves a customer message causes.
 *
 * Concurrency: both triggers judge the row version they are about to
 * replace, which the executor has locked (and re-read, if a concurrent
 * transaction changed it first).  So a status change is a compare-and-set
 * on the latest committed state; nothing is decided on a stale read.
 *
 * History rows are written as the table owner: nobody is granted INSERT on
 * woes.status_events, so history cannot be forged with a raw INSERT, and
 * the last event of a conversation always carries its current status.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "woes.h"

PG_FUNCTION_INFO_V1(woes_can_transition);
PG_FUNCTION_INFO_V1(woes_next_statuses);
PG_FUNCTION_INFO_V1(woes_lifecycle_trigger);
PG_FUNCTION_INFO_V1(woes_message_intake_trigger);

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
static inline bool
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
 * SQL these triggers run with raised rights (history rows, the conversation
 * updates a message causes) runs as the owner of the woes tables, with a
 * pinned search_path: see woes_owner_begin().
 */
typedef WoesOwnerScope AsOwner;
#define become_owner(scope, owner) woes_owner_begin((scope), (owner))
#define restore_user(scope) woes_owner_end(scope)

static SPIPlanPtr
prepare_kept(const char *query, int nargs, Oid *types)
{
	WoesOwnerScope scope;
	SPIPlanPtr	plan;

	/* parsed under the pinned search_path, like it will run */
	woes_owner_begin(&scope, InvalidOid);
	plan = SPI_prepare(query, nargs, types);
	woes_owner_end(&scope);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/* a string for a JSON payload: quoting characters dropped (payload values are ids and labels) */
static const char *
json_safe(const char *str)
{
	char	   *copy = pstrdup(str);
	char	   *p;

	for (p = copy; *p; p++)
		if (*p == '"' || *p == '\\' || (unsigned char) *p < 0x20)
			*p = '_';
	return copy;
}

/* who the context says is acting, as recorded in history */
static const char *
context_actor_kind(void)
{
	switch (woes_context_audience())
	{
		case WOES_AUDIENCE_CUSTOMER:
			return "customer";
		case WOES_AUDIENCE_AGENT:
			return "agent";
		default:
			return woes_context_actor() ? "operator" : "system";
	}
}

static Datum
uuid_datum(const pg_uuid_t *id)
{
	return UUIDPGetDatum((pg_uuid_t *) id);
}

/* a reason is at most 1000 characters (the histories' CHECK, with a clear error first) */
static void
check_reason(const char *reason)
{
	if (reason && strlen(reason) > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("reason is too long"),
				 errhint("A reason is at most 1000 characters.")));
}

/*
 * write_status_event
 *		Append one woes.status_events row (from < 0: creation).
 */
static void
write_status_event(Oid owner, Datum workspace, Datum conversation, int from, int to,
				   bool until_null, Datum until)
{
	const pg_uuid_t *actor = woes_context_actor();
	const char *reason = woes_context_reason();
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};

	check_reason(reason);

	values[0] = workspace;
	values[1] = conversation;
	values[2] = CharGetDatum((char) from);
	nulls[2] = from < 0;
	values[3] = CharGetDatum((char) to);
	values[4] = CStringGetTextDatum(context_actor_kind());
	nulls[5] = !(actor && woes_context_audience() != WOES_AUDIENCE_NONE);
	values[5] = nulls[5] ? (Datum) 0 : uuid_datum(actor);
	nulls[6] = reason == NULL;
	values[6] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	values[7] = until;
	nulls[7] = until_null;
	(void) woes_insert_direct(WOES_DIRECT_STATUS_EVENTS, values, nulls, from >= 0);
}

/*
 * creation_facts
 *		What decides a new conversation's start: is the contact blocked, and
 *		does an active agent serve the channel?  Read as the owner: it is the
 *		trigger's business, whoever inserts.
 */
static void
creation_facts(Oid owner, Datum workspace, Datum contact, Datum channel,
			   bool *blocked, bool *agent_serves)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		values[3] = {workspace, contact, channel};
	AsOwner		as;
	int			ret;

	*blocked = *agent_serves = false;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = prepare_kept("SELECT coalesce((SELECT blocked FROM woes.contacts"
							"   WHERE workspace_id OPERATOR(pg_catalog.=) $1"
							"     AND id OPERATOR(pg_catalog.=) $2), false),"
							" EXISTS (SELECT FROM woes.agents"
							"   WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND active"
							"     AND (channels IS NULL OR $3 OPERATOR(pg_catalog.=) ANY (channels)))",
							3, types);
	become_owner(&as, owner);
	ret = SPI_execute_plan(plan, values, NULL, true, 1);
	restore_user(&as);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the contact and agents: %s", SPI_result_code_string(ret));
	{
		bool		isnull;

		*blocked = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		*agent_serves = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	}
	SPI_finish();
}

/*
 * The control rules, in one place: who answers a conversation.  Every
 * change between different holders is allowed (a request for a person, a
 * takeover, a release back to automation, a re-queue by an operator); what
 * is refused is a change on a closed conversation and, in the API, a
 * takeover of a conversation another operator holds.
 */
static const bool control_allowed[3][3] = {
	/* to:           automation handoff_requested operator */
	/* automation */ {false, true, true},
	/* handoff_requested */ {true, false, true},
	/* operator */ {true, true, false},
};

bool
woes_control_can_change(int from, int to)
{
	if (from < 0 || from > 2 || to < 0 || to > 2)
		return false;
	return control_allowed[from][to];
}

/*
 * write_handoff_event
 *		One woes.handoff_events row and the matching outbox event.
 */
static void
write_handoff_event(Oid owner, Datum workspace, Datum conversation, int from, int to,
					bool controller_null, Datum controller)
{
	const pg_uuid_t *actor = woes_context_actor();
	const char *reason = woes_context_reason();
	const char *kind = to == WOES_CONTROL_HANDOFF ? "requested" :
		to == WOES_CONTROL_OPERATOR ? "taken_over" : "released";
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};

	check_reason(reason);

	values[0] = workspace;
	values[1] = conversation;
	values[2] = CStringGetTextDatum(kind);
	values[3] = CharGetDatum((char) from);
	values[4] = CharGetDatum((char) to);
	values[5] = CStringGetTextDatum(context_actor_kind());
	nulls[6] = !(actor && woes_context_audience() != WOES_AUDIENCE_NONE);
	values[6] = nulls[6] ? (Datum) 0 : UUIDPGetDatum((pg_uuid_t *) actor);
	values[7] = controller;
	nulls[7] = controller_null;
	nulls[8] = reason == NULL;
	values[8] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	(void) woes_insert_direct(WOES_DIRECT_HANDOFF_EVENTS, values, nulls, true);

	woes_emit_event(owner, workspace, psprintf("handoff.%s", kind), conversation, false,
					controller_null
					? psprintf("{\"from\": \"%s\", \"to\": \"%s\"}",
							   woes_enum_label(&woes_control_type, from),
							   woes_enum_label(&woes_control_type, to))
					: psprintf("{\"from\": \"%s\", \"to\": \"%s\", \"operator_id\": \"%s\"}",
							   woes_enum_label(&woes_control_type, from),
							   woes_enum_label(&woes_control_type, to),
							   DatumGetCString(DirectFunctionCall1(uuid_out, controller))));
}

typedef enum GroundingPolicy
{
	GROUNDING_OFF,
	GROUNDING_REJECT,			/* require_grounding: true */
	GROUNDING_SUGGEST			/* require_grounding: "suggest" */
} GroundingPolicy;

/*
 * grounding_policy
 *		The workspace's require_grounding setting (settings jsonb).
 */
static GroundingPolicy
grounding_policy(Oid owner, Datum workspace)
{
	static SPIPlanPtr plan = NULL;
	Oid			types[1] = {UUIDOID};
	Datum		values[1] = {workspace};
	AsOwner		as;
	int			ret;
	GroundingPolicy result = GROUNDING_OFF;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = prepare_kept("SELECT settings OPERATOR(pg_catalog.->>) 'require_grounding'"
							" FROM woes.workspaces WHERE id OPERATOR(pg_catalog.=) $1",
							1, types);
	become_owner(&as, owner);
	ret = SPI_execute_plan(plan, values, NULL, true, 1);
	restore_user(&as);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the workspace settings: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		char	   *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (v && strcmp(v, "true") == 0)
			result = GROUNDING_REJECT;
		else if (v && strcmp(v, "suggest") == 0)
			result = GROUNDING_SUGGEST;
	}
	SPI_finish();
	return result;
}

/*
 * check_resolvable
 *		The hook for "a conversation cannot be resolved while a required
 *		custom field is unset".  Field definitions do not exist yet; when
 *		they do, this is where the check goes, so every write path has it.
 */
static void
check_resolvable(Datum workspace, Datum conversation)
{
}

/* attribute numbers of woes.conversations, cached per relation */
typedef struct ConversationAtts
{
	Oid			relid;
	int			workspace_id;
	int			id;
	int			status;
	int			contact_id;
	int			snoozed_until;
	int			channel;
	int			control;
	int			controller_id;
	int			number;
} ConversationAtts;

static int
att_of(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "woes trigger: column \"%s\" is missing", name);
	return attnum;
}

static const ConversationAtts *
conversation_atts(Relation rel)
{
	static ConversationAtts atts;
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (atts.relid != RelationGetRelid(rel))
	{
		atts.workspace_id = att_of(tupdesc, "workspace_id");
		atts.id = att_of(tupdesc, "id");
		atts.status = att_of(tupdesc, "status");
		atts.contact_id = att_of(tupdesc, "contact_id");
		atts.snoozed_until = att_of(tupdesc, "snoozed_until");
		atts.channel = att_of(tupdesc, "channel");
		atts.control = att_of(tupdesc, "control");
		atts.controller_id = att_of(tupdesc, "controller_id");
		atts.number = att_of(tupdesc, "number");
		atts.relid = RelationGetRelid(rel);
	}
	return &atts;
}

static void
check_trigger_protocol(FunctionCallInfo fcinfo, const char *name)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", name)));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ||
		TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be fired BEFORE INSERT or UPDATE, FOR EACH ROW", name)));
}

/*
 * lifecycle() trigger: BEFORE INSERT OR UPDATE ON woes.conversations FOR
 * EACH ROW, named to fire after the other BEFORE triggers so no later one
 * can drop a row whose history was already written.
 *
 * INSERT: a conversation starts open, or resolved (a blocked contact's
 * always does); its control, unless given, is automation when an active
 * agent serves its channel, otherwise operator.  UPDATE: a status change must be in the table above;
 * snoozed needs a future snoozed_until and leaving it clears it.  Every
 * change, and every creation, writes one status_events row.
 */
static Datum lifecycle_body(FunctionCallInfo fcinfo);
static Datum message_intake_body(FunctionCallInfo fcinfo);

/*
 * Both triggers run their statements as the owner with a pinned
 * search_path; one scope for the whole call (the helpers' own scopes then
 * cost nothing).
 */
static Datum
in_owner_scope(FunctionCallInfo fcinfo, Datum (*body) (FunctionCallInfo))
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	WoesOwnerScope scope;
	Datum		result;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("a woes trigger function must be called as a trigger")));
	woes_owner_begin(&scope, trigdata->tg_relation->rd_rel->relowner);
	result = body(fcinfo);
	woes_owner_end(&scope);
	return result;
}

Datum
woes_lifecycle_trigger(PG_FUNCTION_ARGS)
{
	return in_owner_scope(fcinfo, lifecycle_body);
}

Datum
woes_message_intake_trigger(PG_FUNCTION_ARGS)
{
	return in_owner_scope(fcinfo, message_intake_body);
}

/*
 * check_author
 *		A message's author is a person of its workspace, of its kind: a
 *		contact (customer), an agent (agent) or an operator (operator,
 *		system), so that no message names someone of another workspace.
 *		The common cases need no lookup: the context's own actor writing as
 *		its own kind (the context was checked when it was set) and a
 *		customer message by the conversation's contact (held by the foreign
 *		key).  SPI is connected.
 */
static void
check_author(Oid owner, const pg_uuid_t *workspace, const char *kind, Datum author, Datum contact)
{
	static const char *const tables[3] = {"contacts", "agents", "operators"};
	static const char *const what[3] = {"a contact", "an agent", "an operator"};
	static SPIPlanPtr plans[3];
	const pg_uuid_t *actor = woes_context_actor();
	int			audience = woes_context_audience();
	int			which = strcmp(kind, "customer") == 0 ? 0 : strcmp(kind, "agent") == 0 ? 1 : 2;
	WoesOwnerScope as;
	Datum		values[2];
	int			ret;

	if (actor != NULL && memcmp(DatumGetUUIDP(author)->data, actor->data, UUID_LEN) == 0 &&
		((which == 0 && audience == WOES_AUDIENCE_CUSTOMER) ||
		 (which == 1 && audience == WOES_AUDIENCE_AGENT) ||
		 (which == 2 && audience >= WOES_AUDIENCE_OPERATOR)))
		return;
	if (which == 0 && memcmp(DatumGetUUIDP(author)->data, DatumGetUUIDP(contact)->data, UUID_LEN) == 0)
		return;
	if (plans[which] == NULL)
	{
		Oid			types[2] = {UUIDOID, UUIDOID};

		plans[which] = prepare_kept(psprintf("SELECT 1 FROM woes.%s"
											 " WHERE workspace_id OPERATOR(pg_catalog.=) $1"
											 "   AND id OPERATOR(pg_catalog.=) $2", tables[which]),
									2, types);
	}
	values[0] = UUIDPGetDatum((pg_uuid_t *) workspace);
	values[1] = author;
	become_owner(&as, owner);
	/* not read-only: a contact the intake added just now must be seen */
	ret = SPI_execute_plan(plans[which], values, NULL, false, 1);
	restore_user(&as);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not look up the author: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("author_id of a%s %s message must be %s of this workspace",
						strchr("aeiou", kind[0]) ? "n" : "", kind, what[which])));
}

static Datum
lifecycle_body(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	const ConversationAtts *atts;
	HeapTuple	newtuple;
	Oid			owner;
	int			from = -1;
	int			to;
	bool		isnull;
	bool		until_null;
	Datum		until;
	Datum		workspace,
				conversation;

	check_trigger_protocol(fcinfo, "woes.lifecycle()");
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	owner = rel->rd_rel->relowner;
	newtuple = TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event) ? trigdata->tg_newtuple : trigdata->tg_trigtuple;
	if (woes_restoring())
		return PointerGetDatum(newtuple);

	atts = conversation_atts(rel);
	to = (uint8) DatumGetChar(heap_getattr(newtuple, atts->status, tupdesc, &isnull));
	until = heap_getattr(newtuple, atts->snoozed_until, tupdesc, &until_null);
	{
		bool		wsnull,
					idnull;

		workspace = heap_getattr(newtuple, atts->workspace_id, tupdesc, &wsnull);
		conversation = heap_getattr(newtuple, atts->id, tupdesc, &idnull);
		/* NOT NULL is checked only after BEFORE triggers: check it here */
		if (wsnull || idnull)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("a conversation needs a workspace_id and an id"),
					 errhint("Leave them out: they default to the context's workspace and a new id.")));
	}

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		bool		cnull,
					chnull,
					ctlnull;
		Datum		contact = heap_getattr(newtuple, atts->contact_id, tupdesc, &cnull);
		Datum		channel = heap_getattr(newtuple, atts->channel, tupdesc, &chnull);
		Datum		ctl = heap_getattr(newtuple, atts->control, tupdesc, &ctlnull);
		bool		blocked = false,
					agent_serves = false;
		int			cols[2];
		Datum		vals[2];
		bool		nulls[2] = {false, false};
		int			n = 0;
		int			control;

		if (to != WOES_STATUS_OPEN && to != WOES_STATUS_RESOLVED)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_TRANSITION),
					 errmsg("a new conversation cannot start %s",
							woes_enum_label(&woes_status_type, to)),
					 errhint("A conversation starts open (or resolved, for a blocked contact).")));
		if (!cnull && !chnull)
			creation_facts(owner, workspace, contact, channel, &blocked, &agent_serves);

		/* a blocked contact's conversation is kept, but starts resolved */
		if (blocked && to == WOES_STATUS_OPEN)
		{
			to = WOES_STATUS_RESOLVED;
			cols[n] = atts->status;
			vals[n++] = CharGetDatum((char) WOES_STATUS_RESOLVED);
		}

		/*
		 * Who answers first: automation when an active agent serves the
		 * channel (and the contact is not blocked), otherwise an operator.
		 * An explicit control on INSERT is kept.
		 */
		if (ctlnull)
		{
			control = (agent_serves && !blocked) ? WOES_CONTROL_AUTOMATION : WOES_CONTROL_OPERATOR;
			cols[n] = atts->control;
			vals[n++] = CharGetDatum((char) control);
		}
		else
			control = (uint8) DatumGetChar(ctl);
		if (n > 0)
			newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, n, cols, vals, nulls);

		if (!until_null)
			goto misplaced_until;
		write_status_event(owner, workspace, conversation, -1, to, true, (Datum) 0);
		{
			bool		numnull;
			int64		number = DatumGetInt64(heap_getattr(newtuple, atts->number, tupdesc, &numnull));

			woes_emit_event(owner, workspace, "conversation.created", conversation, false,
							psprintf("{\"number\": " INT64_FORMAT ", \"channel\": \"%s\", "
									 "\"status\": \"%s\", \"control\": \"%s\"}",
									 numnull ? (int64) 0 : number,
									 chnull ? "" : json_safe(TextDatumGetCString(channel)),
									 woes_enum_label(&woes_status_type, to),
									 woes_enum_label(&woes_control_type, control)));
		}
		return PointerGetDatum(newtuple);
	}
	else
	{
		HeapTuple	oldtuple = trigdata->tg_trigtuple;
		bool		old_until_null;
		Datum		old_until;
		bool		status_changed;
		int			from_ctl,
					to_ctl;
		bool		old_ctlr_null,
					new_ctlr_null;
		Datum		old_ctlr,
					new_ctlr;
		bool		control_changed;

		from = (uint8) DatumGetChar(heap_getattr(oldtuple, atts->status, tupdesc, &isnull));
		old_until = heap_getattr(oldtuple, atts->snoozed_until, tupdesc, &old_until_null);
		from_ctl = (uint8) DatumGetChar(heap_getattr(oldtuple, atts->control, tupdesc, &isnull));
		to_ctl = (uint8) DatumGetChar(heap_getattr(newtuple, atts->control, tupdesc, &isnull));
		old_ctlr = heap_getattr(oldtuple, atts->controller_id, tupdesc, &old_ctlr_null);
		new_ctlr = heap_getattr(newtuple, atts->controller_id, tupdesc, &new_ctlr_null);

		status_changed = from != to ||
			(to == WOES_STATUS_SNOOZED &&
			 (until_null != old_until_null ||
			  (!until_null && DatumGetTimestampTz(until) != DatumGetTimestampTz(old_until))));

		/*
		 * Control: who holds the conversation.  Under operator, the holder
		 * is controller_id (the acting operator unless given); elsewhere
		 * there is none.  A change of holder is a takeover too.
		 */
		if (to_ctl == WOES_CONTROL_OPERATOR)
		{
			/* a change to operator without a holder: the acting operator */
			if (new_ctlr_null && from_ctl != WOES_CONTROL_OPERATOR &&
				woes_context_actor() != NULL &&
				(woes_context_audience() == WOES_AUDIENCE_OPERATOR ||
				 woes_context_audience() == WOES_AUDIENCE_ADMIN))
			{
				int			col = atts->controller_id;
				bool		f = false;

				new_ctlr = UUIDPGetDatum((pg_uuid_t *) woes_context_actor());
				new_ctlr_null = false;
				newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &col, &new_ctlr, &f);
			}
		}
		else if (!new_ctlr_null)
		{
			int			col = atts->controller_id;
			bool		t = true;
			Datum		nullval = (Datum) 0;

			newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &col, &nullval, &t);
			new_ctlr_null = true;
		}
		control_changed = from_ctl != to_ctl ||
			(to_ctl == WOES_CONTROL_OPERATOR &&
			 (old_ctlr_null != new_ctlr_null ||
			  (!new_ctlr_null && memcmp(DatumGetUUIDP(old_ctlr)->data, DatumGetUUIDP(new_ctlr)->data, UUID_LEN) != 0)));

		if (!status_changed)
		{
			/* no status change: only refuse a snooze time out of place */
			if (!until_null && to != WOES_STATUS_SNOOZED)
				goto misplaced_until;
		}
		else if (!woes_status_can_transition(from, to))
			report_invalid_transition(from, to);

		if (control_changed)
		{
			if (to == WOES_STATUS_CLOSED && from == WOES_STATUS_CLOSED)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_INVALID_HANDOFF),
						 errmsg("the control of a closed conversation cannot change"),
						 errhint("A closed conversation is final.")));
			if (from_ctl != to_ctl && !woes_control_can_change(from_ctl, to_ctl))
				ereport(ERROR,
						(errcode(ERRCODE_WOES_INVALID_HANDOFF),
						 errmsg("invalid control change from %s to %s",
								woes_enum_label(&woes_control_type, from_ctl),
								woes_enum_label(&woes_control_type, to_ctl))));
		}

		if (status_changed)
		{
			if (to == WOES_STATUS_SNOOZED)
			{
				if (until_null || DatumGetTimestampTz(until) <= GetCurrentTransactionStartTimestamp())
					ereport(ERROR,
							(errcode(ERRCODE_WOES_INVALID_SNOOZE),
							 errmsg("snoozing needs a snoozed_until in the future"),
							 errhint("Pass the time the conversation should wake up, e.g. now() + interval '1 day'.")));
			}
			else if (!until_null)
			{
				/* leaving snoozed clears the wake-up time; anywhere else it is a mistake */
				if (from == WOES_STATUS_SNOOZED)
				{
					Datum		nullval = (Datum) 0;
					bool		t = true;
					int			col = atts->snoozed_until;

					newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &col, &nullval, &t);
					until_null = true;
				}
				else
					goto misplaced_until;
			}
			if (to == WOES_STATUS_RESOLVED)
				check_resolvable(workspace, conversation);

			write_status_event(owner, workspace, conversation, from, to, until_null, until);
			woes_emit_event(owner, workspace, "conversation.status_changed", conversation, false,
							psprintf("{\"from\": \"%s\", \"to\": \"%s\", \"actor_kind\": \"%s\"}",
									 woes_enum_label(&woes_status_type, from),
									 woes_enum_label(&woes_status_type, to),
									 context_actor_kind()));
		}
		if (control_changed)
			write_handoff_event(owner, workspace, conversation, from_ctl, to_ctl,
								new_ctlr_null, new_ctlr);
		return PointerGetDatum(newtuple);
	}

misplaced_until:
	ereport(ERROR,
			(errcode(ERRCODE_WOES_INVALID_SNOOZE),
			 errmsg("snoozed_until can only be set on a snoozed conversation"),
			 errhint("Snooze it with woes.snooze(conversation, until).")));
	return (Datum) 0;			/* keep compiler quiet */
}

/*
 * message_intake() trigger: BEFORE INSERT ON woes.messages FOR EACH ROW.
 *
 * Ties a new message to its conversation: checks the conversation is in
 * the context's workspace (and, for a customer, is its own), fills the
 * message's contact_id, keeps last_message_at and waiting_since, and makes
 * the automatic lifecycle moves of a public customer message: pending,
 * snoozed or resolved reopen (reason customer_reply); on a closed
 * conversation the message starts a follow-up conversation that points
 * back to it.  The conversation row is locked by the update, so this is
 * serialised with status changes, wake-ups and other messages.
 */
static Datum
message_intake_body(FunctionCallInfo fcinfo)
{
	static SPIPlanPtr touch_plan = NULL;
	static SPIPlanPtr follow_plan = NULL;
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	Oid			owner;
	const pg_uuid_t *workspace = woes_context_workspace();
	int			att_ws,
				att_conv,
				att_contact,
				att_kind,
				att_vis,
				att_created;
	bool		isnull;
	Datum		conversation;
	Datum		created_at;
	bool		customer_public;
	bool		operator_public;
	bool		is_public;
	char	   *kind;
	Datum		contact = (Datum) 0;
	bool		contact_found = false;
	Datum		follow_up = (Datum) 0;
	bool		have_follow_up = false;
	AsOwner		as;
	int			ret;
	int			nestlevel;

	check_trigger_protocol(fcinfo, "woes.message_intake()");
	if (!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("woes.message_intake() must be fired BEFORE INSERT")));
	rel = trigdata->tg_relation;
	tupdesc = RelationGetDescr(rel);
	owner = rel->rd_rel->relowner;
	newtuple = trigdata->tg_trigtuple;
	if (woes_restoring())
		return PointerGetDatum(newtuple);

	woes_require_context();
	att_ws = att_of(tupdesc, "workspace_id");
	att_conv = att_of(tupdesc, "conversation_id");
	att_contact = att_of(tupdesc, "contact_id");
	att_kind = att_of(tupdesc, "author_kind");
	att_vis = att_of(tupdesc, "visibility");
	att_created = att_of(tupdesc, "created_at");

	/* the workspace must be the context's (checked before touching anything) */
	{
		Datum		ws = heap_getattr(newtuple, att_ws, tupdesc, &isnull);

		if (isnull || memcmp(DatumGetUUIDP(ws)->data, workspace->data, UUID_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_WRONG_WORKSPACE),
					 errmsg("row is outside the current workspace"),
					 errdetail("A row can only be written in, and never moved out of, the workspace of the context.")));
	}
	conversation = heap_getattr(newtuple, att_conv, tupdesc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("a message needs a conversation_id")));
	created_at = heap_getattr(newtuple, att_created, tupdesc, &isnull);
	if (isnull)
		created_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	{
		Datum		k = heap_getattr(newtuple, att_kind, tupdesc, &isnull);

		/* NOT NULL is checked only after BEFORE triggers: check it here */
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("a message needs an author_kind"),
					 errhint("One of customer, operator, agent, system.")));
		kind = TextDatumGetCString(k);
	}
	is_public = (uint8) DatumGetChar(heap_getattr(newtuple, att_vis, tupdesc, &isnull)) == WOES_VISIBILITY_PUBLIC;
	customer_public = is_public && strcmp(kind, "customer") == 0;
	operator_public = is_public && strcmp(kind, "operator") == 0;

	/* the grounding guard: an agent's public answer must cite its sources */
	if (is_public && strcmp(kind, "agent") == 0)
	{
		bool		gnull;
		Datum		grounding = heap_getattr(newtuple, att_of(tupdesc, "grounding"), tupdesc, &gnull);

		Jsonb	   *jb = gnull ? NULL : DatumGetJsonbP(grounding);

		/* no sources: NULL, not an array (the CHECK refuses it later), or [] */
		if (jb == NULL || !JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb) || JB_ROOT_COUNT(jb) == 0)
		{
			switch (grounding_policy(owner, UUIDPGetDatum((pg_uuid_t *) workspace)))
			{
				case GROUNDING_REJECT:
					ereport(ERROR,
							(errcode(ERRCODE_WOES_GROUNDING_REQUIRED),
							 errmsg("an agent's public answer needs grounding in this workspace"),
							 errdetail("The workspace setting require_grounding is on."),
							 errhint("Pass the sources as grounding (a non-empty JSON array), or reply with visibility 'internal' as a suggestion.")));
					break;
				case GROUNDING_SUGGEST:
					{
						/* kept as an internal suggestion for an operator */
						int			col = att_vis;
						Datum		internal = CharGetDatum((char) WOES_VISIBILITY_INTERNAL);
						bool		f = false;

						newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &col, &internal, &f);
						is_public = false;
					}
					break;
				default:
					break;
			}
		}
	}

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (touch_plan == NULL)
	{
		Oid			types[7] = {UUIDOID, UUIDOID, BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID, UUIDOID};

		/*
		 * One update per message: the automatic reopen, the reply clocks,
		 * and the implicit takeover by an operator's public reply.  It locks
		 * the conversation row, serialising this with status changes,
		 * takeovers, wake-ups and other messages.
		 */
		touch_plan = prepare_kept(
			"UPDATE woes.conversations SET "
			" status = CASE WHEN $3 AND status OPERATOR(woes.=) ANY ('{pending,snoozed,resolved}')"
			"          THEN 'open'::woes.status ELSE status END,"
			" last_message_at = CASE WHEN $4 THEN greatest(last_message_at, $6) ELSE last_message_at END,"
			" waiting_since = CASE WHEN $3 THEN coalesce(waiting_since, $6)"
			"                      WHEN $5 THEN NULL ELSE waiting_since END,"
			" unanswered_count = CASE WHEN $3 THEN unanswered_count + 1"
			"                         WHEN $4 THEN 0 ELSE unanswered_count END,"
			" control = CASE WHEN $5 AND control OPERATOR(woes.<>) 'operator'"
			"           THEN 'operator'::woes.control ELSE control END,"
			" controller_id = CASE WHEN $5 AND (control OPERATOR(woes.<>) 'operator' OR controller_id IS NULL)"
			"                 THEN $7 ELSE controller_id END"
			" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
			"   AND NOT ($3 AND status OPERATOR(woes.=) 'closed')"
			" RETURNING contact_id, control",
			7, types);
	}

	{
		bool		anull;
		Datum		author = heap_getattr(newtuple, att_of(tupdesc, "author_id"), tupdesc, &anull);
		Datum		values[7] = {UUIDPGetDatum((pg_uuid_t *) workspace), conversation,
			BoolGetDatum(customer_public), BoolGetDatum(is_public),
		BoolGetDatum(operator_public), created_at, author};
		char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', anull ? 'n' : ' '};

		/* the reason of a reopen, takeover or follow-up, for this trigger only */
		nestlevel = NewGUCNestLevel();
		if (customer_public || operator_public)
			(void) set_config_option("woes.reason", customer_public ? "customer_reply" : "operator_reply",
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
		become_owner(&as, owner);
		ret = SPI_execute_plan(touch_plan, values, nulls, false, 1);
		restore_user(&as);
		if (ret != SPI_OK_UPDATE_RETURNING)
			elog(ERROR, "could not update the conversation: %s", SPI_result_code_string(ret));
		if (SPI_processed == 1)
		{
			int			control;

			contact = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			contact = datumCopy(contact, false, UUID_LEN);
			contact_found = true;
			control = (uint8) DatumGetChar(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

			/*
			 * The automation stop point: once a person is asked for or has
			 * the conversation, an agent may only suggest (internally).
			 */
			if (is_public && strcmp(kind, "agent") == 0 && control != WOES_CONTROL_AUTOMATION)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_AUTOMATION_STOPPED),
						 errmsg("automation is stopped for this conversation"),
						 errdetail("Its control is %s.", woes_enum_label(&woes_control_type, control)),
						 errhint("Post the answer with visibility 'internal' as a suggestion for the operator.")));
		}
	}

	/*
	 * The update skips a closed conversation only for a customer's public
	 * message, so a row found now is a closed one (closed is final): the
	 * message starts a follow-up conversation that points back to it.
	 */
	if (!contact_found && customer_public)
	{
		Oid			types[3] = {UUIDOID, UUIDOID, TIMESTAMPTZOID};
		Datum		values[3] = {UUIDPGetDatum((pg_uuid_t *) workspace), conversation, created_at};

		if (follow_plan == NULL)
			follow_plan = prepare_kept(
				"INSERT INTO woes.conversations (workspace_id, channel, contact_id, subject,"
				" thread_ref, previous_conversation_id, last_message_at, waiting_since)"
				" SELECT workspace_id, channel, contact_id, subject, thread_ref, id, $3, $3"
				"   FROM woes.conversations"
				"  WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
				" RETURNING id, contact_id",
				3, types);
		become_owner(&as, owner);
		ret = SPI_execute_plan(follow_plan, values, NULL, false, 1);
		restore_user(&as);
		if (ret != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "could not start a follow-up conversation: %s", SPI_result_code_string(ret));
		if (SPI_processed == 1)
		{
			follow_up = datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull),
								  false, UUID_LEN);
			contact = datumCopy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull),
								false, UUID_LEN);
			have_follow_up = contact_found = true;
		}
	}
	AtEOXact_GUC(true, nestlevel);

	/* a customer writes only in its own conversations; others see "not found" */
	if (!contact_found ||
		(woes_context_audience() == WOES_AUDIENCE_CUSTOMER &&
		 (woes_context_actor() == NULL ||
		  memcmp(DatumGetUUIDP(contact)->data, woes_context_actor()->data, UUID_LEN) != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_FOUND),
				 errmsg("conversation not found in this workspace")));
	{
		bool		anull;
		Datum		author = heap_getattr(newtuple, att_of(tupdesc, "author_id"), tupdesc, &anull);

		if (!anull)
			check_author(owner, workspace, kind, author, contact);
	}
	SPI_finish();

	{
		int			cols[2];
		Datum		vals[2];
		bool		nulls[2] = {false, false};
		int			n = 0;
		bool		cnull;
		Datum		given = heap_getattr(newtuple, att_contact, tupdesc, &cnull);

		if (!cnull && memcmp(DatumGetUUIDP(given)->data, DatumGetUUIDP(contact)->data, UUID_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("contact_id of a message must be its conversation's contact"),
					 errhint("Leave contact_id out; it is filled in from the conversation.")));
		cols[n] = att_contact;
		vals[n++] = contact;
		if (have_follow_up)
		{
			cols[n] = att_conv;
			vals[n++] = follow_up;
		}
		newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, n, cols, vals, nulls);
	}

	/* the outbox: ids and visibility only, never the body */
	{
		bool		idnull;
		Datum		id = heap_getattr(newtuple, att_of(tupdesc, "id"), tupdesc, &idnull);
		int			vis = (uint8) DatumGetChar(heap_getattr(newtuple, att_vis, tupdesc, &isnull));

		woes_emit_event(owner, UUIDPGetDatum((pg_uuid_t *) workspace), "message.created",
						have_follow_up ? follow_up : conversation, false,
						psprintf("{\"message_id\": \"%s\", \"author_kind\": \"%s\", \"visibility\": \"%s\"}",
								 idnull ? "" : DatumGetCString(DirectFunctionCall1(uuid_out, id)),
								 json_safe(kind), woes_enum_label(&woes_visibility_type, vis)));
	}
	return PointerGetDatum(newtuple);
}

/*
 * The status API: woes.transition() and its shorthands.
 *
 * One compare-and-set UPDATE, run as the caller (row-level security
 * decides what it may touch), with a plan kept per backend.  The trigger
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

	values[0] = UUIDPGetDatum(&workspace);
	values[1] = conversation;
	values[2] = CStringGetTextDatum(woes_enum_label(&woes_status_type, to));
	values[3] = until;
	nulls[3] = until_null ? 'n' : ' ';

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = woes_api_begin(true, reason_null ? NULL : TextDatumGetCString(reason));
	{
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
	woes_api_end(nestlevel);
	SPI_finish();

	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_NOT_FOUND),
				 errmsg("conversation %s not found in this workspace",
						DatumGetCString(DirectFunctionCall1(uuid_out, conversation)))));
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

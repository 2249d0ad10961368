/*-------------------------------------------------------------------------
 *
 * handoff.c
 *		Who answers a conversation: automation (an AI agent), a request for
 *		a person, or an operator who holds it.  The control table, the
 *		holder rules and their history (the handoff hook of the conversation
 *		trigger), the automation stop point for agents' messages, and the
 *		API: a request for a person, an operator's takeover, and the release
 *		back to automation.
 *
 * Each API call locks the conversation row, judges the locked (latest)
 * version and changes its control: of two operators taking over at once,
 * the second waits for the first, is judged on what the first committed,
 * and is told who has it.  The hook then records the handoff event, the
 * outbox event and the NOTIFY, whatever path changed the control.
 *
 * woes.handoff() runs its statements as the owner (a customer may ask for a
 * person but may not update conversations), so it restricts every
 * statement to the context's workspace and checks the audience and, for a
 * customer, that the conversation is its own.  It is not SECURITY DEFINER:
 * on a Citus coordinator the call is first sent to the tenant's worker
 * (woes_forward_call), and Citus refuses a second user on the placements
 * the caller's earlier statements in the transaction wrote.  It is internal: EXECUTE is granted only to
 * woes_service and woes_admin; the API is its three SQL wrappers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/uuid.h"

#include "context.h"
#include "conversations.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "handoff.h"
#include "ids.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_handoff);

/*
 * The control rules, in one place: who answers a conversation.  Every
 * change between different holders is allowed (a request for a person, a
 * takeover, a release back to automation, a re-queue by an operator); what
 * is refused is a change on a closed conversation and, in the API, a
 * takeover of a conversation another operator holds.
 */
static const bool control_allowed[WOES_CONTROL_COUNT][WOES_CONTROL_COUNT] = {
	/* to:           automation handoff_requested operator */
	/* automation */ {false, true, true},
	/* handoff_requested */ {true, false, true},
	/* operator */ {true, true, false},
};

bool
woes_control_can_change(int from, int to)
{
	if (from < 0 || from >= WOES_CONTROL_COUNT || to < 0 || to >= WOES_CONTROL_COUNT)
		return false;
	return control_allowed[from][to];
}

/* the operator holding the conversation, if any, as the row stands */
static bool
holder(WoesConversationRow *row, HeapTuple tuple, Datum *value)
{
	bool		isnull;

	*value = tuple == row->newtuple
		? woes_conversation_get(row, row->atts->controller_id, &isnull)
		: heap_getattr(tuple, row->atts->controller_id, row->tupdesc, &isnull);
	return !isnull;
}

/* did the control change?  A change of holder is a takeover too */
static bool
control_changed(WoesConversationRow *row)
{
	Datum		old_holder,
				new_holder;
	bool		had,
				has;

	/* (a NULL control: its NOT NULL constraint refuses the row) */
	if (row->insert || row->to_control < 0)
		return false;
	if (row->from_control != row->to_control)
		return true;
	if (row->to_control != WOES_CONTROL_OPERATOR)
		return false;
	had = holder(row, row->oldtuple, &old_holder);
	has = holder(row, row->newtuple, &new_holder);
	return had != has ||
		(has && !woes_uuid_equal(DatumGetUUIDP(old_holder), DatumGetUUIDP(new_holder)));
}

/*
 * woes_handoff_check
 *		INSERT: the control, unless given, is automation when an active
 *		agent serves the channel (and the contact is not blocked), otherwise
 *		operator.  UPDATE: under operator the holder is controller_id (the
 *		acting operator unless given); elsewhere there is none; the control
 *		of a closed conversation never changes.
 */
void
woes_handoff_check(WoesConversationRow *row)
{
	Datum		value;

	if (row->insert)
	{
		if (row->to_control < 0)
		{
			woes_conversation_facts(row);
			row->to_control = (row->agent_serves && !row->contact_blocked)
				? WOES_CONTROL_AUTOMATION : WOES_CONTROL_OPERATOR;
			woes_conversation_set(row, row->atts->control, CharGetDatum((char) row->to_control), false);
		}
		return;
	}
	if (row->to_control < 0)
		return;					/* NOT NULL refuses the row */

	if (row->to_control == WOES_CONTROL_OPERATOR)
	{
		/* a change to operator without a holder: the acting operator */
		if (!holder(row, row->newtuple, &value) && row->from_control != WOES_CONTROL_OPERATOR &&
			woes_context_actor() != NULL &&
			(woes_context_audience() == WOES_AUDIENCE_OPERATOR ||
			 woes_context_audience() == WOES_AUDIENCE_ADMIN))
			woes_conversation_set(row, row->atts->controller_id,
								  UUIDPGetDatum((pg_uuid_t *) woes_context_actor()), false);
	}
	else if (holder(row, row->newtuple, &value))
		woes_conversation_set(row, row->atts->controller_id, (Datum) 0, true);

	if (!control_changed(row))
		return;
	if (row->to_status == WOES_STATUS_CLOSED && row->from_status == WOES_STATUS_CLOSED)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_HANDOFF),
				 errmsg("the control of a closed conversation cannot change"),
				 errhint("A closed conversation is final.")));
	if (row->from_control != row->to_control &&
		!woes_control_can_change(row->from_control, row->to_control))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_HANDOFF),
				 errmsg("invalid control change from %s to %s",
						woes_enum_label(&woes_control_type, row->from_control),
						woes_enum_label(&woes_control_type, row->to_control))));
}

/*
 * woes_handoff_record
 *		Every change of control writes one handoff_events row and a
 *		handoff.requested, handoff.taken_over or handoff.released event.
 */
void
woes_handoff_record(WoesConversationRow *row)
{
	const pg_uuid_t *actor = woes_context_recorded_actor();
	const char *reason;
	const char *kind;
	Datum		controller;
	bool		held;
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
	WoesPayload payload;

	if (!control_changed(row))
		return;
	reason = woes_context_reason();
	kind = row->to_control == WOES_CONTROL_HANDOFF ? "requested" :
		row->to_control == WOES_CONTROL_OPERATOR ? "taken_over" : "released";
	held = holder(row, row->newtuple, &controller);

	values[0] = row->workspace;
	values[1] = row->id;
	values[2] = CStringGetTextDatum(kind);
	values[3] = CharGetDatum((char) row->from_control);
	values[4] = CharGetDatum((char) row->to_control);
	values[5] = CStringGetTextDatum(woes_context_actor_kind());
	nulls[6] = actor == NULL;
	values[6] = actor ? UUIDPGetDatum((pg_uuid_t *) actor) : (Datum) 0;
	values[7] = controller;
	nulls[7] = !held;
	nulls[8] = reason == NULL;
	values[8] = reason ? CStringGetTextDatum(reason) : (Datum) 0;
	(void) woes_insert_direct(WOES_DIRECT_HANDOFF_EVENTS, values, nulls, true);

	woes_payload_begin(&payload);
	woes_payload_text(&payload, "from", woes_enum_label(&woes_control_type, row->from_control));
	woes_payload_text(&payload, "to", woes_enum_label(&woes_control_type, row->to_control));
	if (held)
		woes_payload_uuid(&payload, "operator_id", controller);
	woes_emit_event(row->owner, row->workspace, psprintf("handoff.%s", kind), row->id, false, &payload);
}

/*
 * woes_handoff_check_agent_message
 *		The automation stop point: once a person is asked for or has the
 *		conversation, an agent may only suggest (internally).
 */
void
woes_handoff_check_agent_message(int control)
{
	if (control != WOES_CONTROL_AUTOMATION)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_AUTOMATION_STOPPED),
				 errmsg("automation is stopped for this conversation"),
				 errdetail("Its control is %s.", woes_enum_label(&woes_control_type, control)),
				 errhint("Post the answer with visibility 'internal' as a suggestion for the operator.")));
}

/*
 * One call of woes.handoff(): the conversation, the control asked for, and
 * the statements' parameters ($1 workspace, $2 conversation, $3 actor, $4
 * "the caller is a customer").
 */
typedef struct HandoffCall
{
	pg_uuid_t  *conversation;
	int			target;
	const pg_uuid_t *actor;
	Oid			types[4];
	Datum		values[4];
	char		nulls[4];
} HandoffCall;

/* the conversation as the locked row stands */
typedef struct LockedConversation
{
	bool		closed;
	int			control;
	bool		held;			/* an operator holds it */
	bool		held_by_me;		/* ... the acting one */
	char	   *holder;			/* the holder's name; NULL if removed */
	bool		agent_serves;	/* WOES_AGENT_SERVES_SQL */
} LockedConversation;

/* who may ask for each control */
static void
require_target_audience(const HandoffCall *call)
{
	switch (call->target)
	{
		case WOES_CONTROL_HANDOFF:
			woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_CUSTOMER) |
								  WOES_AUDIENCE_BIT(WOES_AUDIENCE_AGENT) |
								  WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
								  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN), "requesting a handoff");
			break;
		case WOES_CONTROL_OPERATOR:
			woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
								  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN), "taking over");
			if (call->actor == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_INVALID_CONTEXT),
						 errmsg("taking over needs an operator as the actor"),
						 errhint("Set the context with the operator's id as actor.")));
			break;
		case WOES_CONTROL_AUTOMATION:
			woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
								  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN), "releasing to automation");
			break;
		default:
			elog(ERROR, "invalid control %d", call->target);
	}
}

/*
 * The statements of a handoff, planned once per backend and kept (each
 * call used to parse and plan all three).  They run as the owner with the
 * pinned search_path, which woes_prepare_kept parses them under.
 */
typedef enum HandoffPlan
{
	HP_LOCK,					/* the lock alone: a statement Citus can route */
	HP_HOLDER,					/* the holder's name, whether an agent serves */
	HP_REQUEST,					/* the three changes */
	HP_TAKE,
	HP_RELEASE,
	HP_NONE						/* nothing to change */
} HandoffPlan;

#define HANDOFF_KEY " WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"

typedef struct HandoffStatement
{
	const char *query;
	int			nargs;
} HandoffStatement;

static const HandoffStatement handoff_sql[HP_NONE] = {
	/* $1 workspace, $2 conversation, $3 actor, $4 whether the actor is a customer */
	[HP_LOCK] = {
		"SELECT c.status::text, c.control::text, c.controller_id, c.channel"
		"  FROM woes.conversations c"
		" WHERE c.workspace_id OPERATOR(pg_catalog.=) $1 AND c.id OPERATOR(pg_catalog.=) $2"
		"   AND (NOT $4 OR c.contact_id OPERATOR(pg_catalog.=) $3)"
		"   FOR NO KEY UPDATE", 4
	},
	/* $1 workspace, $2 the holder, $3 the channel */
	[HP_HOLDER] = {
		"SELECT (SELECT o.name FROM woes.operators o"
		"         WHERE o.workspace_id OPERATOR(pg_catalog.=) $1"
		"           AND o.id OPERATOR(pg_catalog.=) $2),"
		"       " WOES_AGENT_SERVES_SQL("$1", "$3"), 3
	},
	/* $1 workspace, $2 conversation, $3 actor */
	[HP_REQUEST] = {"UPDATE woes.conversations SET control = 'handoff_requested'" HANDOFF_KEY, 3},
	[HP_TAKE] = {"UPDATE woes.conversations SET control = 'operator', controller_id = $3" HANDOFF_KEY, 3},
	[HP_RELEASE] = {"UPDATE woes.conversations SET control = 'automation'" HANDOFF_KEY, 3},
};

static SPIPlanPtr handoff_plans[HP_NONE];

/* run one of them (SPI connected, as the owner) */
static int
handoff_execute(HandoffPlan which, Oid *types, Datum *values, const char *nulls, bool read_only)
{
	if (handoff_plans[which] == NULL)
		handoff_plans[which] = woes_prepare_kept(handoff_sql[which].query, handoff_sql[which].nargs,
												 types);
	return SPI_execute_plan(handoff_plans[which], values, nulls, read_only, which == HP_LOCK ? 1 : 0);
}

/*
 * lock_conversation
 *		Lock the row and read where it stands (a customer sees only its own;
 *		anyone else's conversation is "not found").  SPI is connected, as the
 *		owner with the pinned search_path.
 */
static void
lock_conversation(HandoffCall *call, LockedConversation *conv)
{
	int			ret;
	bool		isnull;
	HeapTuple	row;
	TupleDesc	desc;
	Datum		controller;

	Oid			types[3] = {UUIDOID, UUIDOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};

	ret = handoff_execute(HP_LOCK, call->types, call->values, call->nulls, false);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the conversation: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		woes_conversation_not_found(call->conversation);

	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	conv->closed = strcmp(SPI_getvalue(row, desc, 1), "closed") == 0;
	conv->control = woes_enum_parse(&woes_control_type, SPI_getvalue(row, desc, 2), false);
	controller = SPI_getbinval(row, desc, 3, &isnull);
	conv->held = !isnull;
	conv->held_by_me = conv->held && call->actor &&
		woes_uuid_equal(DatumGetUUIDP(controller), call->actor);
	values[0] = call->values[0];
	values[1] = isnull ? (Datum) 0 : woes_uuid_copy(controller);
	nulls[1] = isnull ? 'n' : ' ';
	values[2] = SPI_getbinval(row, desc, 4, &isnull);

	/* the holder's name and whether an agent serves the channel, of the locked row */
	ret = handoff_execute(HP_HOLDER, types, values, nulls, true);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read the conversation's holder: %s", SPI_result_code_string(ret));
	row = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	conv->holder = SPI_getvalue(row, desc, 1);
	conv->agent_serves = DatumGetBool(SPI_getbinval(row, desc, 2, &isnull));
}

/*
 * decide
 *		The change the call makes to the locked row: the UPDATE to run, or
 *		HP_NONE when there is nothing to do; an error when it may not.
 */
static HandoffPlan
decide(const HandoffCall *call, const LockedConversation *conv)
{
	if (conv->closed)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_HANDOFF),
				 errmsg("the conversation is closed"),
				 errhint("A closed conversation is final; a new customer message starts a follow-up.")));
	switch (call->target)
	{
		case WOES_CONTROL_HANDOFF:
			/* only automation can be stopped; with a person it is moot */
			if (conv->control != WOES_CONTROL_AUTOMATION)
				return HP_NONE;
			return HP_REQUEST;
		case WOES_CONTROL_OPERATOR:
			if (conv->control == WOES_CONTROL_OPERATOR && conv->held_by_me)
				return HP_NONE;

			/*
			 * Decide on the locked row's own controller_id: the row a waiting
			 * caller gets is re-read after the winner commits (the subselect
			 * for the name runs on that version too).
			 */
			if (conv->control == WOES_CONTROL_OPERATOR && conv->held)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_ALREADY_TAKEN),
						 errmsg("the conversation is already taken over by operator %s",
								conv->holder ? conv->holder : "(removed)"),
						 errhint("Ask %s to release it.", conv->holder ? conv->holder : "an admin")));
			return HP_TAKE;
		case WOES_CONTROL_AUTOMATION:
			if (conv->control == WOES_CONTROL_AUTOMATION)
				return HP_NONE;
			if (!conv->agent_serves)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_NO_AGENT),
						 errmsg("no active agent serves this conversation's channel"),
						 errhint("Add or activate an agent for the channel first.")));
			return HP_RELEASE;
	}
	return HP_NONE;
}

/* run the change; the conversation trigger records it */
static void
change_control(HandoffCall *call, HandoffPlan update)
{
	int			ret;

	ret = handoff_execute(update, call->types, call->values, call->nulls, false);
	if (ret != SPI_OK_UPDATE || SPI_processed != 1)
		elog(ERROR, "could not change the conversation's control: %s", SPI_result_code_string(ret));
}

/*
 * handoff(conversation uuid, target woes.control, reason text,
 *		   workspace uuid DEFAULT woes.current_workspace()) returns void
 *		workspace: the context's (see woes_forward_call)
 */
Datum
woes_handoff(PG_FUNCTION_ARGS)
{
	HandoffCall call = {.types = {UUIDOID, UUIDOID, UUIDOID, BOOLOID}, .nulls = {' ', ' ', ' ', ' '}};
	LockedConversation conv;
	HandoffPlan update;
	int			nestlevel;
	WoesOwnerScope scope;

	woes_require_context();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("conversation must not be null")));
	call.conversation = PG_GETARG_UUID_P(0);
	call.target = (uint8) PG_GETARG_CHAR(1);
	call.actor = woes_context_actor();
	require_target_audience(&call);

	call.values[0] = UUIDPGetDatum((pg_uuid_t *) woes_context_workspace());
	call.values[1] = UUIDPGetDatum(call.conversation);
	if (call.actor)
		call.values[2] = UUIDPGetDatum((pg_uuid_t *) call.actor);
	else
		call.nulls[2] = 'n';
	call.values[3] = BoolGetDatum(woes_context_audience() == WOES_AUDIENCE_CUSTOMER);
	{
		/* on a Citus coordinator: the whole call on the tenant's worker */
		Datum		forwarded;
		bool		forwarded_null;

		if (woes_forward_call(fcinfo, woes_context_workspace(), &forwarded, &forwarded_null))
			PG_RETURN_VOID();
	}

	nestlevel = woes_api_begin(!PG_ARGISNULL(2), PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2)));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* as the owner (of this function, woes's), with the pinned search_path */
	woes_owner_begin(&scope, woes_function_owner(fcinfo->flinfo->fn_oid));
	lock_conversation(&call, &conv);
	update = decide(&call, &conv);
	if (update != HP_NONE)
		change_control(&call, update);
	woes_owner_end(&scope);
	SPI_finish();
	woes_api_end(nestlevel);
	PG_RETURN_VOID();
}

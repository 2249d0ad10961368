/*-------------------------------------------------------------------------
 *
 * messages.c
 *		What happens when a message is written, on every path (the API, the
 *		intake, a raw INSERT): the message_intake trigger.  It ties the
 *		message to its conversation in the context's workspace, checks its
 *		author, applies the grounding rule and the automation stop point to
 *		agents' public answers, moves the conversation (reopen, reply clocks,
 *		implicit takeover, or a follow-up of a closed one) with one update,
 *		and writes the message.created event.
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
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "handoff.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_message_intake_trigger);

static int
att_of(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "woes trigger: column \"%s\" is missing", name);
	return attnum;
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
	WoesOwnerScope as;
	int			ret;
	GroundingPolicy result = GROUNDING_OFF;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (plan == NULL)
		plan = woes_prepare_kept("SELECT settings OPERATOR(pg_catalog.->>) 'require_grounding'"
							" FROM woes.workspaces WHERE id OPERATOR(pg_catalog.=) $1",
							1, types);
	woes_owner_begin(&as, owner);
	ret = SPI_execute_plan(plan, values, NULL, true, 1);
	woes_owner_end(&as);
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

		plans[which] = woes_prepare_kept(psprintf("SELECT 1 FROM woes.%s"
											 " WHERE workspace_id OPERATOR(pg_catalog.=) $1"
											 "   AND id OPERATOR(pg_catalog.=) $2", tables[which]),
									2, types);
	}
	values[0] = UUIDPGetDatum((pg_uuid_t *) workspace);
	values[1] = author;
	woes_owner_begin(&as, owner);
	/* not read-only: a contact the intake added just now must be seen */
	ret = SPI_execute_plan(plans[which], values, NULL, false, 1);
	woes_owner_end(&as);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not look up the author: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("author_id of a%s %s message must be %s of this workspace",
						strchr("aeiou", kind[0]) ? "n" : "", kind, what[which])));
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
	WoesOwnerScope as;
	int			ret;
	int			nestlevel;

	woes_check_row_trigger(fcinfo, "woes.message_intake()");
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
		touch_plan = woes_prepare_kept(
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
		woes_owner_begin(&as, owner);
		ret = SPI_execute_plan(touch_plan, values, nulls, false, 1);
		woes_owner_end(&as);
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
			if (is_public && strcmp(kind, "agent") == 0)
				woes_handoff_check_agent_message(control);
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
			follow_plan = woes_prepare_kept(
				"INSERT INTO woes.conversations (workspace_id, channel, contact_id, subject,"
				" thread_ref, previous_conversation_id, last_message_at, waiting_since)"
				" SELECT workspace_id, channel, contact_id, subject, thread_ref, id, $3, $3"
				"   FROM woes.conversations"
				"  WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
				" RETURNING id, contact_id",
				3, types);
		woes_owner_begin(&as, owner);
		ret = SPI_execute_plan(follow_plan, values, NULL, false, 1);
		woes_owner_end(&as);
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

		WoesPayload payload;

		woes_payload_begin(&payload);
		if (idnull)
			woes_payload_text(&payload, "message_id", "");
		else
			woes_payload_uuid(&payload, "message_id", id);
		woes_payload_text(&payload, "author_kind", kind);
		woes_payload_text(&payload, "visibility", woes_enum_label(&woes_visibility_type, vis));
		woes_emit_event(owner, UUIDPGetDatum((pg_uuid_t *) workspace), "message.created",
						have_follow_up ? follow_up : conversation, false, &payload);
	}
	return PointerGetDatum(newtuple);
}


Datum
woes_message_intake_trigger(PG_FUNCTION_ARGS)
{
	return woes_trigger_as_owner(fcinfo, message_intake_body);
}

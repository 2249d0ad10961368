/*-------------------------------------------------------------------------
 *
 * handoff.c
 *		The handoff API: a request for a person, an operator's takeover, and
 *		the release back to automation.
 *
 * Each call locks the conversation row, judges the locked (latest) version
 * and changes its control: of two operators taking over at once, the second
 * waits for the first, is judged on what the first committed, and is told
 * who has it.  The lifecycle trigger then
 * records the handoff event, the outbox event and the NOTIFY.
 *
 * woes.handoff() is SECURITY DEFINER (a customer may ask for a person but
 * may not update conversations), so it restricts every statement to the
 * context's workspace and checks the audience and, for a customer, that
 * the conversation is its own.  It is internal: EXECUTE is granted only to
 * woes_service and woes_admin; the API is its three SQL wrappers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/uuid.h"

#include "woes.h"

PG_FUNCTION_INFO_V1(woes_handoff);

static void
not_found(pg_uuid_t *conversation)
{
	ereport(ERROR,
			(errcode(ERRCODE_WOES_NOT_FOUND),
			 errmsg("conversation %s not found in this workspace",
					DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(conversation))))));
}

static void
closed_error(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_WOES_INVALID_HANDOFF),
			 errmsg("the conversation is closed"),
			 errhint("A closed conversation is final; a new customer message starts a follow-up.")));
}

static void
not_allowed(const char *action, int audience)
{
	ereport(ERROR,
			(errcode(ERRCODE_WOES_NOT_ALLOWED),
			 errmsg("%s is not allowed in the %s audience", action,
					audience == WOES_AUDIENCE_NONE ? "none" :
					woes_enum_label(&woes_audience_type, audience))));
}

/*
 * handoff(conversation uuid, target woes.control, reason text) returns void
 */
Datum
woes_handoff(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation;
	int			target;
	int			audience = woes_context_audience();
	const pg_uuid_t *actor = woes_context_actor();
	const pg_uuid_t *workspace;
	bool		customer = audience == WOES_AUDIENCE_CUSTOMER;
	Oid			types[4] = {UUIDOID, UUIDOID, UUIDOID, BOOLOID};
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	int			nestlevel;
	int			ret;
	bool		isnull;
	WoesOwnerScope scope;

	woes_require_context();
	workspace = woes_context_workspace();
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("conversation must not be null")));
	conversation = PG_GETARG_UUID_P(0);
	target = (uint8) PG_GETARG_CHAR(1);

	switch (target)
	{
		case WOES_CONTROL_HANDOFF:
			if (audience == WOES_AUDIENCE_ANALYST)
				not_allowed("requesting a handoff", audience);
			break;
		case WOES_CONTROL_OPERATOR:
			if (audience != WOES_AUDIENCE_OPERATOR && audience != WOES_AUDIENCE_ADMIN)
				not_allowed("taking over", audience);
			if (actor == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_WOES_INVALID_CONTEXT),
						 errmsg("taking over needs an operator as the actor"),
						 errhint("Set the context with the operator's id as actor.")));
			break;
		case WOES_CONTROL_AUTOMATION:
			if (audience != WOES_AUDIENCE_OPERATOR && audience != WOES_AUDIENCE_ADMIN)
				not_allowed("releasing to automation", audience);
			break;
		default:
			elog(ERROR, "invalid control %d", target);
	}

	values[0] = UUIDPGetDatum((pg_uuid_t *) workspace);
	values[1] = UUIDPGetDatum(conversation);
	if (actor)
		values[2] = UUIDPGetDatum((pg_uuid_t *) actor);
	else
		nulls[2] = 'n';
	values[3] = BoolGetDatum(customer);

	nestlevel = NewGUCNestLevel();
	woes_pin_row_security();
	if (!PG_ARGISNULL(2))
		(void) set_config_option("woes.reason", text_to_cstring(PG_GETARG_TEXT_PP(2)),
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* already the owner (SECURITY DEFINER): pin the search_path */
	woes_owner_begin(&scope, InvalidOid);

	/*
	 * Lock the row and read where it stands (a customer sees only its own;
	 * anyone else's conversation is "not found").
	 */
	ret = SPI_execute_with_args(
		"SELECT c.status::text, c.control::text, c.controller_id,"
		"       (SELECT o.name FROM woes.operators o"
		"         WHERE o.workspace_id OPERATOR(pg_catalog.=) c.workspace_id"
		"           AND o.id OPERATOR(pg_catalog.=) c.controller_id),"
		"       EXISTS (SELECT FROM woes.agents a"
		"                WHERE a.workspace_id OPERATOR(pg_catalog.=) c.workspace_id AND a.active"
		"                  AND (a.channels IS NULL OR c.channel OPERATOR(pg_catalog.=) ANY (a.channels)))"
		"  FROM woes.conversations c"
		" WHERE c.workspace_id OPERATOR(pg_catalog.=) $1 AND c.id OPERATOR(pg_catalog.=) $2"
		"   AND (NOT $4 OR c.contact_id OPERATOR(pg_catalog.=) $3)"
		"   FOR NO KEY UPDATE",
		4, types, values, nulls, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the conversation: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		not_found(conversation);
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *status = SPI_getvalue(row, desc, 1);
		int			control = woes_enum_parse(&woes_control_type, SPI_getvalue(row, desc, 2), false);
		Datum		controller = SPI_getbinval(row, desc, 3, &isnull);
		bool		held = !isnull;
		bool		held_by_me = held && actor &&
			memcmp(DatumGetUUIDP(controller)->data, actor->data, UUID_LEN) == 0;
		char	   *holder = SPI_getvalue(row, desc, 4);
		bool		agent_serves = DatumGetBool(SPI_getbinval(row, desc, 5, &isnull));
		const char *update = NULL;

		if (strcmp(status, "closed") == 0)
			closed_error();
		switch (target)
		{
			case WOES_CONTROL_HANDOFF:
				/* only automation can be stopped; with a person it is moot */
				if (control == WOES_CONTROL_AUTOMATION)
					update = "UPDATE woes.conversations SET control = 'handoff_requested'"
						" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2";
				break;
			case WOES_CONTROL_OPERATOR:
				if (control == WOES_CONTROL_OPERATOR && held_by_me)
					break;
				/*
				 * Decide on the locked row's own controller_id: the row a
				 * waiting caller gets is re-read after the winner commits
				 * (the subselect for the name runs on that version too).
				 */
				if (control == WOES_CONTROL_OPERATOR && held)
					ereport(ERROR,
							(errcode(ERRCODE_WOES_ALREADY_TAKEN),
							 errmsg("the conversation is already taken over by operator %s",
									holder ? holder : "(removed)"),
							 errhint("Ask %s to release it.", holder ? holder : "an admin")));
				update = "UPDATE woes.conversations SET control = 'operator', controller_id = $3"
					" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2";
				break;
			case WOES_CONTROL_AUTOMATION:
				if (control == WOES_CONTROL_AUTOMATION)
					break;
				if (!agent_serves)
					ereport(ERROR,
							(errcode(ERRCODE_WOES_NO_AGENT),
							 errmsg("no active agent serves this conversation's channel"),
							 errhint("Add or activate an agent for the channel first.")));
				update = "UPDATE woes.conversations SET control = 'automation'"
					" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2";
				break;
		}
		if (update)
		{
			ret = SPI_execute_with_args(update, 3, types, values, nulls, false, 0);
			if (ret != SPI_OK_UPDATE || SPI_processed != 1)
				elog(ERROR, "could not change the conversation's control: %s", SPI_result_code_string(ret));
		}
	}
	woes_owner_end(&scope);
	SPI_finish();
	AtEOXact_GUC(true, nestlevel);
	PG_RETURN_VOID();
}

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
#include "common/int.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "context.h"
#include "conversations.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "eventtime.h"
#include "handoff.h"
#include "ids.h"
#include "metrics.h"
#include "rowupdate.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_message_intake_trigger);

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

	if (actor != NULL && woes_uuid_equal(DatumGetUUIDP(author), actor) &&
		((which == 0 && audience == WOES_AUDIENCE_CUSTOMER) ||
		 (which == 1 && audience == WOES_AUDIENCE_AGENT) ||
		 (which == 2 && audience >= WOES_AUDIENCE_OPERATOR)))
		return;
	if (which == 0 && woes_uuid_equal(DatumGetUUIDP(author), DatumGetUUIDP(contact)))
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
 * A message on its way in, read once from the new row.  Each step below
 * is one concern of writing a message; message_intake_body runs them in
 * order.
 */
typedef struct IncomingMessage
{
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	Oid			owner;
	const pg_uuid_t *workspace;
	Datum		conversation;
	Datum		created_at;
	char	   *kind;			/* author_kind */
	bool		is_public;
	bool		customer_public;
	bool		operator_public;
	bool		author_null;
	Datum		author;
	Datum		contact;		/* the conversation's, once found */
	bool		contact_found;
	Datum		follow_up;		/* the follow-up of a closed conversation */
	bool		have_follow_up;
	bool		merges;			/* the schema has merges and metrics (not 0.1.0's) */
	bool		staff_public;	/* a public agent or operator message */
	Datum		team;			/* the conversation's, once found */
	bool		team_null;
	Datum		channel;
} IncomingMessage;

/*
 * A uuid the trigger keeps past SPI_finish (the conversation, its contact,
 * a follow-up): copied into the trigger's own memory, not SPI's, which
 * SPI_finish frees.
 */
static Datum
kept_uuid(Datum uuid)
{
	void	   *copy = SPI_palloc(UUID_LEN);

	memcpy(copy, DatumGetPointer(uuid), UUID_LEN);
	return PointerGetDatum(copy);
}

/* read the row: the context's workspace, a conversation, an author kind */
static void
read_message(IncomingMessage *m)
{
	bool		isnull;
	Datum		value;

	value = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "workspace_id"), m->tupdesc, &isnull);
	/* the workspace must be the context's (checked before touching anything) */
	woes_require_in_workspace(isnull ? NULL : DatumGetUUIDP(value));
	m->conversation = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "conversation_id"), m->tupdesc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("a message needs a conversation_id")));
	m->created_at = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "created_at"), m->tupdesc, &isnull);
	if (isnull)
		m->created_at = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	value = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "author_kind"), m->tupdesc, &isnull);
	/* NOT NULL is checked only after BEFORE triggers: check it here */
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("a message needs an author_kind"),
				 errhint("One of customer, operator, agent, system.")));
	m->kind = TextDatumGetCString(value);
	m->author = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "author_id"), m->tupdesc, &m->author_null);
	m->is_public = (uint8) DatumGetChar(heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "visibility"),
													 m->tupdesc, &isnull)) == WOES_VISIBILITY_PUBLIC;
	m->customer_public = m->is_public && strcmp(m->kind, "customer") == 0;
	m->operator_public = m->is_public && strcmp(m->kind, "operator") == 0;
	m->staff_public = m->operator_public || (m->is_public && strcmp(m->kind, "agent") == 0);
}

/* the grounding guard: an agent's public answer must cite its sources */
static void
apply_grounding(IncomingMessage *m)
{
	bool		gnull;
	Datum		grounding;
	Jsonb	   *jb;

	if (!m->is_public || strcmp(m->kind, "agent") != 0)
		return;
	grounding = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "grounding"), m->tupdesc, &gnull);
	jb = gnull ? NULL : DatumGetJsonbP(grounding);
	/* sources: a non-empty array (not an array: the CHECK refuses it later) */
	if (jb != NULL && JB_ROOT_IS_ARRAY(jb) && !JB_ROOT_IS_SCALAR(jb) && JB_ROOT_COUNT(jb) > 0)
		return;
	switch (grounding_policy(m->owner, UUIDPGetDatum((pg_uuid_t *) m->workspace)))
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
				int			col = woes_trigger_attnum(m->tupdesc, "visibility");
				Datum		internal = CharGetDatum((char) WOES_VISIBILITY_INTERNAL);
				bool		f = false;

				m->newtuple = heap_modify_tuple_by_cols(m->newtuple, m->tupdesc, 1, &col, &internal, &f);
				m->is_public = false;
			}
			break;
		default:
			break;
	}
}

/*
 * The message's update of its conversation, written directly (rowupdate.c)
 * where no policy, rule or statement trigger could act on the statement.
 * The columns: the SET list of the statement in touch_conversation, in
 * its order, then what its WHERE clause reads and what it returns.
 */
enum
{
	TOUCH_STATUS,
	TOUCH_LAST_MESSAGE_AT,
	TOUCH_WAITING_SINCE,
	TOUCH_UNANSWERED_COUNT,
	TOUCH_CONTROL,
	TOUCH_CONTROLLER_ID,
	TOUCH_FIRST_CUSTOMER_MESSAGE_AT,
	TOUCH_HUMAN_CLOCK_FROM,
	TOUCH_FIRST_RESPONSE_AT,
	TOUCH_FIRST_HUMAN_RESPONSE_AT,
	TOUCH_FIRST_OPERATOR_MESSAGE_AT,
	TOUCH_NSET,
	TOUCH_MERGED_INTO_ID = TOUCH_NSET,
	TOUCH_CONTACT_ID,
	TOUCH_TEAM_ID,
	TOUCH_CHANNEL,
	TOUCH_NCOLUMNS
};

static const WoesUpdateColumn touch_columns[TOUCH_NCOLUMNS] = {
	[TOUCH_STATUS] = {"status", "status"},
	[TOUCH_LAST_MESSAGE_AT] = {"last_message_at", "timestamptz"},
	[TOUCH_WAITING_SINCE] = {"waiting_since", "timestamptz"},
	[TOUCH_UNANSWERED_COUNT] = {"unanswered_count", "int4"},
	[TOUCH_CONTROL] = {"control", "control"},
	[TOUCH_CONTROLLER_ID] = {"controller_id", "uuid"},
	[TOUCH_FIRST_CUSTOMER_MESSAGE_AT] = {"first_customer_message_at", "timestamptz"},
	[TOUCH_HUMAN_CLOCK_FROM] = {"human_clock_from", "timestamptz"},
	[TOUCH_FIRST_RESPONSE_AT] = {"first_response_at", "timestamptz"},
	[TOUCH_FIRST_HUMAN_RESPONSE_AT] = {"first_human_response_at", "timestamptz"},
	[TOUCH_FIRST_OPERATOR_MESSAGE_AT] = {"first_operator_message_at", "timestamptz"},
	[TOUCH_MERGED_INTO_ID] = {"merged_into_id", "uuid"},
	[TOUCH_CONTACT_ID] = {"contact_id", "uuid"},
	[TOUCH_TEAM_ID] = {"team_id", "uuid"},
	[TOUCH_CHANNEL] = {"channel", "text"},
};

static bool touch_compute(const Datum *old, const bool *oldnull, Datum *v, bool *n, void *arg);

static WoesRowUpdate touch_update = {
	"conversations", TOUCH_NCOLUMNS, TOUCH_NSET, touch_columns, touch_compute
};

/* v[col] := value, not null */
#define TOUCH_SET(col, value) (v[(col)] = (value), n[(col)] = false)

/*
 * touch_compute
 *		The statement's WHERE clause and SET list of touch_conversation,
 *		expression by expression, on the old row (every SET expression of an
 *		UPDATE reads the old row).  A NULL status or control compares as
 *		neither true nor false, as in SQL: the CASE takes its ELSE.
 */
static bool
touch_compute(const Datum *old, const bool *oldnull, Datum *v, bool *n, void *arg)
{
	IncomingMessage *m = (IncomingMessage *) arg;
	int			status = oldnull[TOUCH_STATUS] ? -1 : (uint8) DatumGetChar(old[TOUCH_STATUS]);
	int			control = oldnull[TOUCH_CONTROL] ? -1 : (uint8) DatumGetChar(old[TOUCH_CONTROL]);
	Datum		at = m->created_at;
	bool		had_customer_message = !oldnull[TOUCH_FIRST_CUSTOMER_MESSAGE_AT];

	/* WHERE NOT ($3 AND status = 'closed') AND merged_into_id IS NULL */
	if ((m->customer_public && (status == WOES_STATUS_CLOSED || status == -1)) ||
		!oldnull[TOUCH_MERGED_INTO_ID])
		return false;
	if (m->customer_public &&
		(status == WOES_STATUS_PENDING || status == WOES_STATUS_SNOOZED || status == WOES_STATUS_RESOLVED))
		TOUCH_SET(TOUCH_STATUS, CharGetDatum((char) WOES_STATUS_OPEN));
	/* greatest(last_message_at, $6): NULL is ignored */
	if (m->is_public &&
		(oldnull[TOUCH_LAST_MESSAGE_AT] ||
		 DatumGetTimestampTz(old[TOUCH_LAST_MESSAGE_AT]) < DatumGetTimestampTz(at)))
		TOUCH_SET(TOUCH_LAST_MESSAGE_AT, at);
	if (m->customer_public)
	{
		if (oldnull[TOUCH_WAITING_SINCE])
			TOUCH_SET(TOUCH_WAITING_SINCE, at);
	}
	else if (m->operator_public)
	{
		v[TOUCH_WAITING_SINCE] = (Datum) 0;
		n[TOUCH_WAITING_SINCE] = true;
	}
	if (m->customer_public)
	{
		int32		count;

		if (!oldnull[TOUCH_UNANSWERED_COUNT])
		{
			if (pg_add_s32_overflow(DatumGetInt32(old[TOUCH_UNANSWERED_COUNT]), 1, &count))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("integer out of range")));
			TOUCH_SET(TOUCH_UNANSWERED_COUNT, Int32GetDatum(count));
		}
	}
	else if (m->is_public)
		TOUCH_SET(TOUCH_UNANSWERED_COUNT, Int32GetDatum(0));
	if (m->operator_public)
	{
		/* both read the old control */
		if (control != -1 && control != WOES_CONTROL_OPERATOR)
			TOUCH_SET(TOUCH_CONTROL, CharGetDatum((char) WOES_CONTROL_OPERATOR));
		if ((control != -1 && control != WOES_CONTROL_OPERATOR) || oldnull[TOUCH_CONTROLLER_ID])
		{
			v[TOUCH_CONTROLLER_ID] = m->author;
			n[TOUCH_CONTROLLER_ID] = m->author_null;
		}
	}
	/* the metrics (metrics.c) */
	if (m->customer_public)
	{
		if (!had_customer_message)
			TOUCH_SET(TOUCH_FIRST_CUSTOMER_MESSAGE_AT, at);
		if (oldnull[TOUCH_HUMAN_CLOCK_FROM] && control != -1 && control != WOES_CONTROL_AUTOMATION)
			TOUCH_SET(TOUCH_HUMAN_CLOCK_FROM, at);
	}
	if (m->staff_public && oldnull[TOUCH_FIRST_RESPONSE_AT] && had_customer_message)
		TOUCH_SET(TOUCH_FIRST_RESPONSE_AT, at);
	if (m->operator_public)
	{
		if (oldnull[TOUCH_FIRST_HUMAN_RESPONSE_AT] && had_customer_message)
			TOUCH_SET(TOUCH_FIRST_HUMAN_RESPONSE_AT, at);
		if (oldnull[TOUCH_FIRST_OPERATOR_MESSAGE_AT])
			TOUCH_SET(TOUCH_FIRST_OPERATOR_MESSAGE_AT, at);
	}
	return true;
}

/* what the update returns: the conversation's contact, control, team, channel */
static void
touch_returned(IncomingMessage *m, Datum contact, Datum control, Datum team, bool team_null,
			   Datum channel)
{
	m->contact = kept_uuid(contact);
	m->contact_found = true;
	m->team_null = team_null;
	if (!team_null)
		m->team = woes_uuid_copy(team);
	m->channel = datumCopy(channel, false, -1);
	if (m->is_public && strcmp(m->kind, "agent") == 0)
		woes_handoff_check_agent_message((uint8) DatumGetChar(control));
}

/*
 * One update per message: the automatic reopen of a public customer
 * message (pending, snoozed and resolved reopen), the reply clocks, and
 * the implicit takeover by an operator's public reply.  It locks the
 * conversation row, serialising this with status changes, takeovers,
 * wake-ups and other messages.  A closed conversation is not updated by a
 * customer's public message, a merged one by no message (see
 * follow_merges).  Written directly where it can be (touch_update), else
 * by the statement below.  SPI is connected.
 */
static void
touch_conversation(IncomingMessage *m)
{
	/*
	 * [1]: skips a merged conversation and keeps the message metrics (see
	 * metrics.c); [0]: a schema without merges and metrics
	 */
	static SPIPlanPtr plans[2] = {NULL, NULL};
	SPIPlanPtr	plan;
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	WoesOwnerScope as;
	int			ret;
	bool		isnull;

	if (m->merges)
	{
		Datum		final[TOUCH_NCOLUMNS];
		bool		final_null[TOUCH_NCOLUMNS];
		bool		found;
		WoesUpdateResult done;

		/* as the statement's: the owner, whose policies it would meet */
		woes_owner_begin(&as, m->owner);
		done = woes_update_direct(&touch_update, m->workspace, m->conversation, false, m,
								  CurrentMemoryContext, final, final_null, &found);
		woes_owner_end(&as);
		switch (done)
		{
			case WOES_UPDATE_DONE:
				touch_returned(m, final[TOUCH_CONTACT_ID], final[TOUCH_CONTROL], final[TOUCH_TEAM_ID],
							   final_null[TOUCH_TEAM_ID], final[TOUCH_CHANNEL]);
				return;
			case WOES_UPDATE_NONE:
				return;
			case WOES_UPDATE_USE_SQL:
				break;
		}
	}

	if (plans[m->merges] == NULL)
	{
		Oid			types[8] = {UUIDOID, UUIDOID, BOOLOID, BOOLOID, BOOLOID, TIMESTAMPTZOID, UUIDOID, BOOLOID};

		plans[m->merges] = woes_prepare_kept(psprintf(
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
			"                 THEN $7 ELSE controller_id END%s"
			" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2"
			"   AND NOT ($3 AND status OPERATOR(woes.=) 'closed')%s"
			" RETURNING contact_id, control, team_id, channel",
			m->merges ?
			",first_customer_message_at = CASE WHEN $3 THEN coalesce(first_customer_message_at, $6)"
			"                             ELSE first_customer_message_at END,"
			" human_clock_from = CASE WHEN $3 AND human_clock_from IS NULL"
			"                         AND control OPERATOR(woes.<>) 'automation' THEN $6"
			"                    ELSE human_clock_from END,"
			" first_response_at = CASE WHEN $8 AND first_response_at IS NULL"
			"                          AND first_customer_message_at IS NOT NULL THEN $6"
			"                     ELSE first_response_at END,"
			" first_human_response_at = CASE WHEN $5 AND first_human_response_at IS NULL"
			"                                AND first_customer_message_at IS NOT NULL THEN $6"
			"                           ELSE first_human_response_at END,"
			" first_operator_message_at = CASE WHEN $5 THEN coalesce(first_operator_message_at, $6)"
			"                             ELSE first_operator_message_at END" : "",
			m->merges ? " AND merged_into_id IS NULL" : ""),
			m->merges ? 8 : 7, types);
	}
	plan = plans[m->merges];
	values[0] = UUIDPGetDatum((pg_uuid_t *) m->workspace);
	values[1] = m->conversation;
	values[2] = BoolGetDatum(m->customer_public);
	values[3] = BoolGetDatum(m->is_public);
	values[4] = BoolGetDatum(m->operator_public);
	values[5] = m->created_at;
	values[6] = m->author;
	nulls[6] = m->author_null ? 'n' : ' ';
	values[7] = BoolGetDatum(m->staff_public);

	woes_owner_begin(&as, m->owner);
	ret = SPI_execute_plan(plan, values, nulls, false, 1);
	woes_owner_end(&as);
	if (ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not update the conversation: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		return;
	m->team = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &m->team_null);
	touch_returned(m, SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull),
				   SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull),
				   m->team, m->team_null,
				   SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
}

/*
 * A message for a merged conversation (a stale id, or an intake that read
 * the thread's keys just before the merge moved them) goes where the merge
 * sent everything else: to the target, hop by hop along a chain of merges,
 * as long as the target has the same customer.  A target of another
 * customer would show her words to someone else and never reach her with
 * a reply: a customer's public message starts a follow-up of the merged
 * conversation instead (start_follow_up, as for any closed one), and
 * anything else is refused, naming the target (staff write there).  The
 * update found nothing, so the row, if there is one, is merged or closed;
 * reading it now (READ COMMITTED: a fresh snapshot) sees a merge that the
 * update waited for.  SPI is connected.
 */
static void
follow_merges(IncomingMessage *m)
{
	static SPIPlanPtr plan = NULL;
	WoesOwnerScope as;
	int			hops;

	if (!m->merges)
		return;
	if (plan == NULL)
	{
		Oid			types[2] = {UUIDOID, UUIDOID};

		plan = woes_prepare_kept(
			"SELECT contact_id, merged_into_id, number FROM woes.conversations"
			" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
			2, types);
	}
	for (hops = 0; !m->contact_found; hops++)
	{
		Datum		values[2];
		Datum		contact,
					target;
		int64		number;
		bool		isnull,
					same;
		int			ret;

		values[0] = UUIDPGetDatum((pg_uuid_t *) m->workspace);
		values[1] = m->conversation;
		woes_owner_begin(&as, m->owner);
		ret = SPI_execute_plan(plan, values, NULL, false, 1);
		woes_owner_end(&as);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read the conversation: %s", SPI_result_code_string(ret));
		if (SPI_processed != 1)
			return;				/* not found: check_conversation says so */
		contact = woes_uuid_copy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		target = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull);
		if (isnull)
			return;				/* closed: start_follow_up */
		target = kept_uuid(target);
		number = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));

		/* the target's customer */
		values[1] = target;
		woes_owner_begin(&as, m->owner);
		ret = SPI_execute_plan(plan, values, NULL, false, 1);
		woes_owner_end(&as);
		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read the conversation: %s", SPI_result_code_string(ret));
		same = SPI_processed == 1 &&
			woes_uuid_equal(DatumGetUUIDP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
							DatumGetUUIDP(contact));
		/* (no cycle can be made; the bound only keeps a damaged chain finite) */
		if (same && hops < 64)
		{
			m->conversation = target;
			touch_conversation(m);
			continue;
		}
		if (m->customer_public)
			return;				/* start_follow_up, from this merged one */
		/* a customer is told nothing about another's conversation */
		if (woes_context_audience() == WOES_AUDIENCE_CUSTOMER)
			woes_conversation_not_found(NULL);
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_MERGE),
				 errmsg("conversation %lld was merged into conversation %lld of another customer",
						(long long) number,
						SPI_processed == 1 ? (long long) DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0],
																					 SPI_tuptable->tupdesc, 3,
																					 &isnull)) : 0LL),
				 errhint("Write in the conversation it was merged into.")));
	}
}

/*
 * The update skips a closed conversation only for a customer's public
 * message (and a merged one for any message), so a row found now is a
 * closed one (closed is final): a customer's public message starts a
 * follow-up conversation that points back to it.  SPI is connected.
 */
static void
start_follow_up(IncomingMessage *m)
{
	static SPIPlanPtr read_plan = NULL;
	/* [1]: with the message's metric (first_customer_message_at) */
	static SPIPlanPtr insert_plans[2] = {NULL, NULL};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	WoesOwnerScope as;
	int			ret;
	bool		isnull;
	int			i;

	if (m->contact_found || !m->customer_public)
		return;

	/*
	 * Two statements, not one INSERT ... SELECT: on a Citus worker these
	 * run inside a statement on a shard, or a delegated API call, where
	 * Citus 12.1 refuses an INSERT ... SELECT of a table into itself (its
	 * pushed-down form with RETURNING names the shell: "missing
	 * FROM-clause entry"; in a force-delegated call: "queries must filter
	 * by the distribution argument").  A SELECT and an INSERT ... VALUES,
	 * each naming the workspace, are routed to the local shard.
	 */
	if (read_plan == NULL)
	{
		Oid			types[2] = {UUIDOID, UUIDOID};

		read_plan = woes_prepare_kept(
			"SELECT channel, contact_id, subject, thread_ref FROM woes.conversations"
			" WHERE workspace_id OPERATOR(pg_catalog.=) $1 AND id OPERATOR(pg_catalog.=) $2",
			2, types);
	}
	if (insert_plans[m->merges] == NULL)
	{
		Oid			types[7] = {UUIDOID, TEXTOID, UUIDOID, TEXTOID, TEXTOID, UUIDOID, TIMESTAMPTZOID};

		insert_plans[m->merges] = woes_prepare_kept(m->merges ?
			"INSERT INTO woes.conversations (workspace_id, channel, contact_id, subject,"
			" thread_ref, previous_conversation_id, last_message_at, waiting_since, first_customer_message_at)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)"
			" RETURNING id, contact_id" :
			"INSERT INTO woes.conversations (workspace_id, channel, contact_id, subject,"
			" thread_ref, previous_conversation_id, last_message_at, waiting_since)"
			" VALUES ($1, $2, $3, $4, $5, $6, $7, $7)"
			" RETURNING id, contact_id",
			7, types);
	}
	values[0] = UUIDPGetDatum((pg_uuid_t *) m->workspace);
	values[1] = m->conversation;
	woes_owner_begin(&as, m->owner);
	ret = SPI_execute_plan(read_plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
	{
		woes_owner_end(&as);
		elog(ERROR, "could not read the closed conversation: %s", SPI_result_code_string(ret));
	}
	if (SPI_processed != 1)
	{
		woes_owner_end(&as);
		return;
	}
	/* channel, contact_id, subject, thread_ref: $2 .. $5 */
	for (i = 0; i < 4; i++)
	{
		Datum		v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1, &isnull);
		int16		typlen;
		bool		typbyval;

		get_typlenbyval(SPI_gettypeid(SPI_tuptable->tupdesc, i + 1), &typlen, &typbyval);
		nulls[i + 1] = isnull ? 'n' : ' ';
		values[i + 1] = isnull ? (Datum) 0 : datumCopy(v, typbyval, typlen);
	}
	values[0] = UUIDPGetDatum((pg_uuid_t *) m->workspace);
	values[5] = m->conversation;
	values[6] = m->created_at;
	ret = SPI_execute_plan(insert_plans[m->merges], values, nulls, false, 1);
	woes_owner_end(&as);
	if (ret != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "could not start a follow-up conversation: %s", SPI_result_code_string(ret));
	if (SPI_processed != 1)
		return;
	m->follow_up = kept_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	m->contact = kept_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	m->have_follow_up = m->contact_found = true;
}

/* a customer writes only in its own conversations; others see "not found" */
static void
check_conversation(IncomingMessage *m)
{
	if (!m->contact_found ||
		(woes_context_audience() == WOES_AUDIENCE_CUSTOMER &&
		 (woes_context_actor() == NULL ||
		  !woes_uuid_equal(DatumGetUUIDP(m->contact), woes_context_actor()))))
		woes_conversation_not_found(NULL);
}

/* the conversation's contact, and the conversation it landed in, into the row */
static void
fill_conversation(IncomingMessage *m)
{
	int			att_contact = woes_trigger_attnum(m->tupdesc, "contact_id");
	int			cols[2];
	Datum		vals[2];
	bool		nulls[2] = {false, false};
	int			n = 0;
	bool		cnull;
	Datum		given = heap_getattr(m->newtuple, att_contact, m->tupdesc, &cnull);

	if (!cnull && !woes_uuid_equal(DatumGetUUIDP(given), DatumGetUUIDP(m->contact)))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("contact_id of a message must be its conversation's contact"),
				 errhint("Leave contact_id out; it is filled in from the conversation.")));
	cols[n] = att_contact;
	vals[n++] = m->contact;
	/* where it landed: the row's, a merge's target, or a follow-up */
	cols[n] = woes_trigger_attnum(m->tupdesc, "conversation_id");
	vals[n++] = m->have_follow_up ? m->follow_up : m->conversation;
	m->newtuple = heap_modify_tuple_by_cols(m->newtuple, m->tupdesc, n, cols, vals, nulls);
}

/* the outbox: ids and visibility only, never the body */
static void
message_created(IncomingMessage *m)
{
	bool		isnull,
				visnull;
	Datum		id = heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "id"), m->tupdesc, &isnull);
	int			vis = (uint8) DatumGetChar(heap_getattr(m->newtuple, woes_trigger_attnum(m->tupdesc, "visibility"),
														m->tupdesc, &visnull));
	WoesPayload payload;

	woes_payload_begin(&payload);
	if (isnull)					/* (NOT NULL refuses the row later) */
		woes_payload_text(&payload, "message_id", "");
	else
		woes_payload_uuid(&payload, "message_id", id);
	woes_payload_text(&payload, "author_kind", m->kind);
	woes_payload_text(&payload, "visibility", woes_enum_label(&woes_visibility_type, vis));
	woes_emit_event(m->owner, UUIDPGetDatum((pg_uuid_t *) m->workspace), "message.created",
					m->have_follow_up ? m->follow_up : m->conversation, false, &payload);
}

/* the conversation's moves: the update, a merge followed, a follow-up */
static void
move_conversation(void *arg)
{
	IncomingMessage *m = (IncomingMessage *) arg;

	touch_conversation(m);
	follow_merges(m);
	start_follow_up(m);
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
 * back to it; on a merged one it goes to the target (follow_merges).  The conversation row is locked by the update, so this is
 * serialised with status changes, wake-ups and other messages.
 */
static Datum
message_intake_body(FunctionCallInfo fcinfo)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	IncomingMessage m;
	int			nestlevel;

	memset(&m, 0, sizeof(m));
	m.tupdesc = RelationGetDescr(trigdata->tg_relation);
	m.owner = trigdata->tg_relation->rd_rel->relowner;
	m.newtuple = trigdata->tg_trigtuple;
	if (woes_restoring())
		return PointerGetDatum(m.newtuple);
	woes_require_context();
	m.workspace = woes_context_workspace();

	read_message(&m);
	apply_grounding(&m);
	/* a schema older than the library (0.1.0 before its upgrade) has no merges */
	m.merges = woes_schema_current(RelationGetNamespace(trigdata->tg_relation));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* the reason of a reopen, takeover or follow-up, for this trigger only */
	nestlevel = NewGUCNestLevel();
	if (m.customer_public || m.operator_public)
		(void) set_config_option("woes.reason", m.customer_public ? "customer_reply" : "operator_reply",
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	woes_metrics_forget_cleared();
	/* what the message moves, it moves at its own time (eventtime.c) */
	woes_event_time_run(DatumGetTimestampTz(m.created_at), move_conversation, &m);
	AtEOXact_GUC(true, nestlevel);
	check_conversation(&m);
	if (!m.author_null)
		check_author(m.owner, m.workspace, m.kind, m.author, m.contact);
	/* a public operator reply: the waiting time it ended (metrics.c) */
	if (m.operator_public && m.merges)
	{
		bool		idnull;
		Datum		id = heap_getattr(m.newtuple, woes_trigger_attnum(m.tupdesc, "id"), m.tupdesc, &idnull);

		if (!idnull)
			woes_metrics_reply(m.owner, UUIDPGetDatum((pg_uuid_t *) m.workspace), id, m.conversation,
							   m.author, m.author_null, m.team, m.team_null, m.channel, m.created_at);
	}
	SPI_finish();

	fill_conversation(&m);
	message_created(&m);
	return PointerGetDatum(m.newtuple);
}

Datum
woes_message_intake_trigger(PG_FUNCTION_ARGS)
{
	return woes_trigger_as_owner(fcinfo, "woes.message_intake()", WOES_FIRED_BY_INSERT,
								 message_intake_body);
}

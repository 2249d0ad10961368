/*-------------------------------------------------------------------------
 *
 * metrics.c
 *		A conversation's metrics, kept in the same write as the change that
 *		moves them: no recomputation from messages on read.  One written
 *		definition each (README "Metrics"):
 *
 *		first_customer_message_at   the first public customer message
 *		first_response_at           the first public agent or operator reply
 *		                            after it
 *		human_clock_from            when a person's clock starts: the first
 *		                            customer message, or -- for a
 *		                            conversation automation handled first --
 *		                            the handoff request (bot time is not
 *		                            operator time)
 *		first_human_response_at     the first public operator reply after the
 *		                            first customer message
 *		first_operator_message_at   the first public operator message at all
 *		                            ("resolved by automation": resolved before
 *		                            any)
 *		first_resolved_at, last_resolved_at, reopen_count (resolved -> open)
 *		assignment_count, first_assigned_at (a new assignee)
 *		handoff_requested_at, handoff_taken_at (the first handoff out of
 *		                            automation, and its takeover)
 *
 * The message columns are set by the message trigger's one update of the
 * conversation (messages.c), which runs at the message's time
 * (woes_event_time_run: that is how the hook tells it from any other
 * write); the rest by the conversation hook below, in
 * the check pass (it sets columns of the new row, nothing else).  Each
 * public operator reply also gets a woes.reply_times row: the waiting time
 * it ended, which the hook saw cleared (see woes_metrics_cleared_waiting).
 *
 * A schema older than the library (0.1.0 before its upgrade) has none of
 * these columns: the hook does nothing there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "context.h"
#include "eventtime.h"
#include "conversations.h"
#include "enums.h"
#include "ids.h"
#include "metrics.h"
#include "scope.h"

/*
 * The metric columns, by who writes them: the hook below, or the message
 * trigger's update and the follow-up it inserts, which run at a time of
 * woes's own (human_clock_from: both).  Nobody else: a value any
 * other write gives is replaced by the one kept (the old value, or on
 * INSERT none), so no raw INSERT or UPDATE can make a metric up.
 */
static const char *const hook_columns[] = {
	"first_resolved_at", "last_resolved_at", "reopen_count", "assignment_count", "first_assigned_at",
	"handoff_requested_at", "handoff_taken_at"
};
static const char *const message_columns[] = {
	"first_customer_message_at", "human_clock_from", "first_response_at", "first_human_response_at",
	"first_operator_message_at"
};

typedef struct MetricsAtts
{
	Oid			relid;
	bool		present;
	int			hook[lengthof(hook_columns)];
	int			message[lengthof(message_columns)];
	int			first_resolved_at;
	int			last_resolved_at;
	int			reopen_count;
	int			assignment_count;
	int			first_assigned_at;
	int			handoff_requested_at;
	int			handoff_taken_at;
	int			human_clock_from;
} MetricsAtts;

static MetricsAtts atts;

/* the schema this backend read: whether conversations has the 0.2.0 columns */
static struct
{
	bool		valid;
	Oid			namespace;
	Oid			conversations;
	bool		current;
} schema;

/*
 * A change to conversations (the upgrade adds the columns: the relation
 * keeps its oid) forgets what was read of it (woes_relcache_callback,
 * woes.c).
 */
void
woes_metrics_forget(Oid relid)
{
	if (!OidIsValid(relid) || relid == atts.relid)
		atts.relid = InvalidOid;
	if (!OidIsValid(relid) || relid == schema.conversations)
		schema.valid = false;
}

/*
 * Does the conversations table of this schema have merges and metrics
 * (0.2.0's schema), or is it 0.1.0's before its upgrade, which the library
 * still serves?  Read once, not per message.
 */
bool
woes_schema_current(Oid namespace)
{
	if (!schema.valid || schema.namespace != namespace)
	{
		schema.namespace = namespace;
		schema.conversations = get_relname_relid("conversations", namespace);
		schema.current = OidIsValid(schema.conversations) &&
			get_attnum(schema.conversations, "merged_into_id") != InvalidAttrNumber;
		schema.valid = true;
	}
	return schema.current;
}

static const MetricsAtts *
metrics_atts(Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (atts.relid != RelationGetRelid(rel))
	{
		atts.present = SPI_fnumber(tupdesc, "first_resolved_at") > 0;
		if (atts.present)
		{
			int			i;

			for (i = 0; i < (int) lengthof(hook_columns); i++)
				atts.hook[i] = woes_trigger_attnum(tupdesc, hook_columns[i]);
			for (i = 0; i < (int) lengthof(message_columns); i++)
				atts.message[i] = woes_trigger_attnum(tupdesc, message_columns[i]);
			atts.first_resolved_at = woes_trigger_attnum(tupdesc, "first_resolved_at");
			atts.last_resolved_at = woes_trigger_attnum(tupdesc, "last_resolved_at");
			atts.reopen_count = woes_trigger_attnum(tupdesc, "reopen_count");
			atts.assignment_count = woes_trigger_attnum(tupdesc, "assignment_count");
			atts.first_assigned_at = woes_trigger_attnum(tupdesc, "first_assigned_at");
			atts.handoff_requested_at = woes_trigger_attnum(tupdesc, "handoff_requested_at");
			atts.handoff_taken_at = woes_trigger_attnum(tupdesc, "handoff_taken_at");
			atts.human_clock_from = woes_trigger_attnum(tupdesc, "human_clock_from");
		}
		atts.relid = RelationGetRelid(rel);
	}
	return &atts;
}

/*
 * A metric column as kept: the old row's value, or on INSERT none (0 for a
 * count).  Only a column that differs is set (the common write changes
 * none: no tuple is copied).
 */
static void
keep(WoesConversationRow *row, int attnum)
{
	Form_pg_attribute att = TupleDescAttr(row->tupdesc, attnum - 1);
	bool		isnull,
				newnull;
	Datum		value;
	Datum		given = woes_conversation_get(row, attnum, &newnull);

	if (row->insert)
	{
		isnull = att->atttypid != INT4OID;
		value = isnull ? (Datum) 0 : Int32GetDatum(0);
	}
	else
		value = heap_getattr(row->oldtuple, attnum, row->tupdesc, &isnull);
	if (isnull == newnull && (isnull || datumIsEqual(value, given, att->attbyval, att->attlen)))
		return;
	woes_conversation_set(row, attnum, value, isnull);
}

/* the waiting time a change cleared, for the reply that cleared it */
static struct
{
	bool		valid;
	pg_uuid_t	conversation;
	TimestampTz waiting_since;
} cleared;

static void
set_once(WoesConversationRow *row, int attnum, Datum value)
{
	bool		isnull;

	(void) woes_conversation_get(row, attnum, &isnull);
	if (isnull)
		woes_conversation_set(row, attnum, value, false);
}

static void
add_one(WoesConversationRow *row, int attnum)
{
	bool		isnull;
	Datum		n = woes_conversation_get(row, attnum, &isnull);

	woes_conversation_set(row, attnum, Int32GetDatum(isnull ? 1 : DatumGetInt32(n) + 1), false);
}

/* a new, non-NULL assignee */
static bool
assigned(WoesConversationRow *row)
{
	bool		newnull,
				oldnull;
	Datum		to = woes_conversation_get(row, row->atts->assignee_id, &newnull);
	Datum		from;

	if (newnull)
		return false;
	if (row->insert)
		return true;
	from = heap_getattr(row->oldtuple, row->atts->assignee_id, row->tupdesc, &oldnull);
	return oldnull || !woes_uuid_equal(DatumGetUUIDP(from), DatumGetUUIDP(to));
}

void
woes_metrics_check(WoesConversationRow *row)
{
	const MetricsAtts *atts = metrics_atts(row->rel);
	Datum		now = TimestampTzGetDatum(woes_event_time());
	bool		isnull;

	if (!atts->present)
		return;

	/* what nobody but this hook and the message trigger writes */
	{
		int			i;

		for (i = 0; i < (int) lengthof(hook_columns); i++)
			keep(row, atts->hook[i]);
		if (!woes_event_time_own())
			for (i = 0; i < (int) lengthof(message_columns); i++)
				keep(row, atts->message[i]);
	}

	/*
	 * A follow-up the message trigger starts with its customer message: a
	 * person's clock starts with it unless automation answers the channel
	 * (the handoff hook, before this one, set the control)
	 */
	if (row->insert && woes_event_time_own())
	{
		Datum		first = woes_conversation_get(row, atts->message[0], &isnull);

		if (!isnull && row->to_control != WOES_CONTROL_AUTOMATION &&
			(uint8) DatumGetChar(woes_conversation_get(row, row->atts->control, &isnull)) != WOES_CONTROL_AUTOMATION)
			set_once(row, atts->human_clock_from, first);
	}

	/* resolution: the first and the last; a reopen counts */
	if (row->to_status == WOES_STATUS_RESOLVED && row->from_status != WOES_STATUS_RESOLVED)
	{
		set_once(row, atts->first_resolved_at, now);
		woes_conversation_set(row, atts->last_resolved_at, now, false);
	}
	if (row->from_status == WOES_STATUS_RESOLVED && row->to_status == WOES_STATUS_OPEN)
		add_one(row, atts->reopen_count);

	if (assigned(row))
	{
		add_one(row, atts->assignment_count);
		set_once(row, atts->first_assigned_at, now);
	}

	/*
	 * The first handoff out of automation (a request, or a takeover without
	 * one) starts a person's clock; its takeover ends the handoff wait.
	 */
	if (!row->insert && row->from_control == WOES_CONTROL_AUTOMATION &&
		row->to_control != WOES_CONTROL_AUTOMATION)
	{
		set_once(row, atts->handoff_requested_at, now);
		set_once(row, atts->human_clock_from, now);
	}
	if (!row->insert && row->to_control == WOES_CONTROL_OPERATOR && row->from_control != WOES_CONTROL_OPERATOR)
	{
		(void) woes_conversation_get(row, atts->handoff_requested_at, &isnull);
		if (!isnull)
			set_once(row, atts->handoff_taken_at, now);
	}

	/* the waiting time a reply (or a resolve) ends */
	if (!row->insert)
	{
		bool		oldnull;
		Datum		was = heap_getattr(row->oldtuple, row->atts->waiting_since, row->tupdesc, &oldnull);

		(void) woes_conversation_get(row, row->atts->waiting_since, &isnull);
		if (!oldnull && isnull)
		{
			cleared.valid = true;
			memcpy(&cleared.conversation, DatumGetUUIDP(row->id), UUID_LEN);
			cleared.waiting_since = DatumGetTimestampTz(was);
		}
	}
}

void
woes_metrics_forget_cleared(void)
{
	cleared.valid = false;
}

/*
 * The waiting time the last update of this conversation cleared, if the
 * message trigger's update (whose lifecycle trigger runs synchronously, in
 * this backend, on every node) cleared one.
 */
bool
woes_metrics_cleared_waiting(Datum conversation, TimestampTz *waiting_since)
{
	if (!cleared.valid || !woes_uuid_equal(&cleared.conversation, DatumGetUUIDP(conversation)))
		return false;
	*waiting_since = cleared.waiting_since;
	cleared.valid = false;
	return true;
}

/*
 * One woes.reply_times row for a public operator reply: the waiting time it
 * ended (NULL when nobody was waiting).  As the owner (nobody else writes
 * the table); SPI is connected.  On a Citus worker the statement names the
 * workspace by a value, so it goes to the local shard.
 */
void
woes_metrics_reply(Oid owner, Datum workspace, Datum message, Datum conversation, Datum operator_id,
				   bool operator_null, Datum team, bool team_null, Datum channel, Datum replied_at)
{
	static SPIPlanPtr plan = NULL;
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	TimestampTz waiting;
	WoesOwnerScope as;
	int			ret;

	if (plan == NULL)
	{
		Oid			types[8] = {UUIDOID, UUIDOID, UUIDOID, UUIDOID, UUIDOID, TEXTOID, TIMESTAMPTZOID,
		TIMESTAMPTZOID};

		plan = woes_prepare_kept(
			"INSERT INTO woes.reply_times (workspace_id, message_id, conversation_id, operator_id,"
			" team_id, channel, waiting_since, replied_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			8, types);
	}
	values[0] = workspace;
	values[1] = message;
	values[2] = conversation;
	values[3] = operator_id;
	nulls[3] = operator_null ? 'n' : ' ';
	values[4] = team;
	nulls[4] = team_null ? 'n' : ' ';
	values[5] = channel;
	if (woes_metrics_cleared_waiting(conversation, &waiting))
		values[6] = TimestampTzGetDatum(waiting);
	else
		nulls[6] = 'n';
	values[7] = replied_at;
	woes_owner_begin(&as, owner);
	ret = SPI_execute_plan(plan, values, nulls, false, 0);
	woes_owner_end(&as);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not record the reply time: %s", SPI_result_code_string(ret));
}

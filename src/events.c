/*-------------------------------------------------------------------------
 *
 * events.c
 *		The outbox: events written in the same transaction as the change they
 *		describe, a cursor that never skips one, and NOTIFY as a wake-up.
 *
 * Event ids come from a sequence, so a transaction can take id 10 and
 * commit after another took 11 and committed.  A consumer that read 11
 * and moved its cursor there would never see 10.  To prevent that, a
 * transaction that writes events holds, from before it draws its first
 * id until it ends, a lock whose tag carries a lower bound of its ids.
 * events_since() reads the sequence position first and the lock table
 * second, and serves only ids below the smallest bound still held: every
 * id below that horizon belongs to a transaction that has ended, so it is
 * either visible (committed) or gone for good (rolled back).
 *
 * The lock is an advisory lock in the user lock method with a field4 of
 * its own, so it never collides with an application's advisory locks; it
 * is taken by the top transaction (kept across subtransaction rollbacks).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "context.h"
#include "events.h"
#include "ids.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_event_horizon);

/* locktag field4 of woes' in-flight event registrations ("WO") */
#define WOES_EVENT_LOCK_FIELD4	0x574F

static bool notify_enabled = true;
static FullTransactionId registered_fxid;

void
woes_events_init(void)
{
	DefineCustomBoolVariable("woes.notify",
							 "Send NOTIFY woes_events / woes_handoff wake-ups when events are written.",
							 "Turn off on Citus: NOTIFY breaks multi-node commits; the outbox is the truth either way.",
							 &notify_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

/*
 * The next id the events sequence can hand out, read as the owner.  Any id
 * drawn after this call is at least this value.
 */
static int64
next_possible_id(Oid owner)
{
	Oid			seqid;
	WoesOwnerScope scope;
	Datum		last;
	bool		isnull;

	/* by name each time (the extension may have been re-created): a cache lookup */
	seqid = get_relname_relid("events_id_seq", get_namespace_oid("woes", false));
	if (!OidIsValid(seqid))
		elog(ERROR, "sequence woes.events_id_seq is missing");

	/* pg_sequence_last_value: last_value + 1 once called, else NULL */
	woes_owner_begin(&scope, owner);
	{
		LOCAL_FCINFO(fcinfo, 1);

		InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
		fcinfo->args[0].value = ObjectIdGetDatum(seqid);
		fcinfo->args[0].isnull = false;
		last = pg_sequence_last_value(fcinfo);
		isnull = fcinfo->isnull;
	}
	if (isnull)
	{
		/*
		 * Not called since it was created or restarted: the next id is its
		 * last_value, which only a query reads (rare, so not kept).
		 */
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute("SELECT last_value FROM woes.events_id_seq", true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read the events sequence");
		{
			int64		next;

			last = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			next = isnull ? 1 : DatumGetInt64(last);	/* before SPI frees it */
			SPI_finish();
			woes_owner_end(&scope);
			return next;
		}
	}
	woes_owner_end(&scope);
	return DatumGetInt64(last) + 1;
}

/*
 * register_in_flight
 *		Before the transaction's first event id is drawn: hold, until the top
 *		transaction ends, a shared lock tagged with a lower bound of its ids.
 */
static void
register_in_flight(Oid owner)
{
	FullTransactionId fxid = GetTopFullTransactionId();
	int64		lower;
	LOCKTAG		tag;
	ResourceOwner save = CurrentResourceOwner;

	if (FullTransactionIdEquals(fxid, registered_fxid))
		return;
	lower = next_possible_id(owner);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) ((uint64) lower >> 32), (uint32) lower,
						 WOES_EVENT_LOCK_FIELD4);
	/* owned by the top transaction: a subtransaction rollback keeps it */
	CurrentResourceOwner = TopTransactionResourceOwner;
	(void) LockAcquire(&tag, ShareLock, false, false);
	CurrentResourceOwner = save;
	registered_fxid = fxid;
}

/* the payload builder: keys and values pushed into a jsonb object */
void
woes_payload_begin(WoesPayload *payload)
{
	payload->state = NULL;
	(void) pushJsonbValue(&payload->state, WJB_BEGIN_OBJECT, NULL);
}

static void
payload_string(WoesPayload *payload, JsonbIteratorToken token, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	(void) pushJsonbValue(&payload->state, token, &v);
}

void
woes_payload_text(WoesPayload *payload, const char *key, const char *value)
{
	payload_string(payload, WJB_KEY, key);
	payload_string(payload, WJB_VALUE, value);
}

void
woes_payload_uuid(WoesPayload *payload, const char *key, Datum uuid)
{
	woes_payload_text(payload, key, woes_uuid_text(DatumGetUUIDP(uuid)));
}

void
woes_payload_int64(WoesPayload *payload, const char *key, int64 value)
{
	JsonbValue	v;

	payload_string(payload, WJB_KEY, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	(void) pushJsonbValue(&payload->state, WJB_VALUE, &v);
}

void
woes_payload_bool(WoesPayload *payload, const char *key, bool value)
{
	JsonbValue	v;

	payload_string(payload, WJB_KEY, key);
	v.type = jbvBool;
	v.val.boolean = value;
	(void) pushJsonbValue(&payload->state, WJB_VALUE, &v);
}

/*
 * woes_emit_event
 *		Append one event as the owner, and send the NOTIFY wake-ups (the
 *		event id only).
 */
void
woes_emit_event(Oid owner, Datum workspace, const char *kind, Datum conversation,
				bool conversation_null, WoesPayload *payload)
{
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	int64		id;
	char		idtext[32];

	register_in_flight(owner);

	values[0] = workspace;
	values[1] = CStringGetTextDatum(kind);
	values[2] = conversation;
	nulls[2] = conversation_null;
	values[3] = JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&payload->state, WJB_END_OBJECT, NULL)));
	id = woes_insert_direct(WOES_DIRECT_EVENTS, values, nulls, false);

	if (notify_enabled)
	{
		/* a wake-up only: the id, never text; the outbox is the truth */
		snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
		Async_Notify("woes_events", idtext);
		if (strncmp(kind, "handoff.", 8) == 0)
			Async_Notify("woes_handoff", idtext);
	}
}

/*
 * event_horizon() returns bigint
 *		Every event id below the result belongs to a transaction that has
 *		ended.  Read the sequence first, then the lock table: a transaction
 *		not yet in the lock table when it is read draws its ids after the
 *		sequence was read, so they are at or above the horizon.  It reads
 *		the sequence as the owner.
 *		event_horizon(workspace uuid DEFAULT woes.current_workspace())
 */
Datum
woes_event_horizon(PG_FUNCTION_ARGS)
{
	int64		horizon;
	LockData   *data;
	int			i;
	Datum		forwarded;
	bool		forwarded_null;

	/*
	 * On a Citus coordinator: the workspace's events are written on its
	 * worker, with that node's sequence and in its lock table, so the
	 * horizon is that node's (one round trip; the read that follows is
	 * routed there too, with a newer snapshot)
	 */
	if (woes_forward_call(fcinfo, woes_context_workspace(), &forwarded, &forwarded_null))
		PG_RETURN_DATUM(forwarded);
	horizon = next_possible_id(woes_function_owner(fcinfo->flinfo->fn_oid));
	data = GetLockStatusData();

	for (i = 0; i < data->nelements; i++)
	{
		LockInstanceData *lock = &data->locks[i];
		int64		lower;

		if (lock->locktag.locktag_type != LOCKTAG_ADVISORY ||
			lock->locktag.locktag_field1 != MyDatabaseId ||
			lock->locktag.locktag_field4 != WOES_EVENT_LOCK_FIELD4 ||
			lock->holdMask == 0 ||
			lock->pid == MyProcPid)
			continue;
		lower = (int64) (((uint64) lock->locktag.locktag_field2 << 32) |
						 lock->locktag.locktag_field3);
		if (lower < horizon)
			horizon = lower;
	}
	PG_RETURN_INT64(horizon);
}

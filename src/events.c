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
 * events_since() is C: the horizon, then a new snapshot, then the page.
 * The page is read from the outbox's key by a range probe (probe.c), the
 * query it stands for being run only where that query could answer
 * otherwise (a policy that is not woes's own, a missing privilege, a
 * module watching the permission checks, a Citus node).  A consumer polls:
 * most pages are short, and a statement per page -- the function's own
 * and its query's executor, the policies' quals once per row -- cost more
 * than the rows.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "executor/tstoreReceiver.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/numeric.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "events.h"
#include "ids.h"
#include "probe.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_event_horizon);
PG_FUNCTION_INFO_V1(woes_outbox_horizon);
PG_FUNCTION_INFO_V1(woes_events_since);

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
 * The horizon on this node: the sequence first, then the lock table (a
 * transaction not yet in the lock table when it is read draws its ids
 * after the sequence was read, so they are at or above the horizon).  The
 * sequence is read as owner.
 *
 * Not on a standby: the primary's writers hold their in-flight marks in the
 * primary's lock table, which a standby does not have, and a standby's
 * sequence reads what the primary logged ahead, not what it handed out; a
 * page read there would skip the events of a transaction still open on the
 * primary.  There is no horizon to give, so every outbox read refuses.
 */
static int64
horizon_here(Oid owner)
{
	int64		horizon;
	LockData   *data;
	int			i;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_WOES_STANDBY),
				 errmsg("the outbox cannot be read on a standby"),
				 errdetail("A standby cannot see which of the primary's transactions still hold event ids, so a page read here could skip events."),
				 errhint("Read the outbox on the primary.")));
	horizon = next_possible_id(owner);
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
	return horizon;
}

/*
 * event_horizon() returns bigint
 *		Every event id below the result belongs to a transaction that has
 *		ended (horizon_here).
 *		event_horizon(workspace uuid DEFAULT woes.current_workspace())
 */
Datum
woes_event_horizon(PG_FUNCTION_ARGS)
{
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
	PG_RETURN_INT64(horizon_here(woes_function_owner(fcinfo->flinfo->fn_oid)));
}

/*
 * The checks every outbox read makes (operators and admins; READ
 * COMMITTED, since a transaction snapshot older than the horizon could
 * skip events; a page size in bounds), then the horizon of the context's
 * workspace: on a Citus coordinator through woes.event_horizon(), which
 * forwards the call to the workspace's node.  owner: woes's, who reads the
 * sequence.
 */
static int64
outbox_horizon(const char *action, bool max_null, int32 max, Oid owner)
{
	uint32		readers = WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) | WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN);
	int			audience = woes_context_audience();

	/*
	 * A read, as the policies judge it: an audience of the context that may
	 * read passes without the context's check against the tables (that is
	 * for writes; a role bound to read the outbox need not see workspaces).
	 * Otherwise the error, with that check first, as for any call.
	 */
	if (woes_context_workspace() == NULL || audience == WOES_AUDIENCE_NONE ||
		(readers & WOES_AUDIENCE_BIT(audience)) == 0)
		woes_require_audience(readers, action);
	if (XactIsoLevel != XACT_READ_COMMITTED)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_READ_COMMITTED),
				 errmsg("reading the outbox needs READ COMMITTED"),
				 errhint("A transaction snapshot older than the horizon could skip events; use READ COMMITTED.")));
	if (max_null || max < 1 || max > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("max must be between 1 and 100000")));
	if (woes_node() == WOES_NODE_COORDINATOR)
	{
		Oid			fn = LookupFuncName(list_make2(makeString("woes"), makeString("event_horizon")),
										1, (Oid[]) {UUIDOID}, false);

		return DatumGetInt64(OidFunctionCall1(fn, UUIDPGetDatum(woes_context_workspace())));
	}
	return horizon_here(owner);
}

/*
 * outbox_horizon(action text, max integer) returns bigint
 *		Internal: the checks of an outbox read, then its horizon, for the
 *		readers written in SQL (resolved_conversations).  Its own statement:
 *		the rows are read by the next, with a snapshot taken after it.
 */
Datum
woes_outbox_horizon(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(outbox_horizon(PG_ARGISNULL(0) ? "reading the outbox" : text_to_cstring(PG_GETARG_TEXT_PP(0)),
								   PG_ARGISNULL(1), PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1),
								   woes_function_owner(fcinfo->flinfo->fn_oid)));
}

/* the page as the outbox's key holds it (the caller's own query: see below) */
static WoesProbe events_page = {
	.table = "events",
	.columns = {"workspace_id", "id"},
	.nkeys = 1,
};

static SPIPlanPtr events_page_plan = NULL;

/*
 * The page as the query it stands for, run as the caller through SPI with
 * its rows sent to out: where a policy, a privilege, a module or Citus may
 * make it answer otherwise than the key.  A read-write execution: a new
 * statement snapshot, taken after the horizon.
 */
static void
events_page_sql(Datum workspace, int64 after, int64 before, int64 max,
				Tuplestorestate *out, TupleDesc out_desc, MemoryContext out_cxt)
{
	Oid			types[4] = {UUIDOID, INT8OID, INT8OID, INT8OID};
	Datum		values[4] = {workspace, Int64GetDatum(after), Int64GetDatum(before), Int64GetDatum(max)};
	ParamListInfo params;
	SPIExecuteOptions options;
	DestReceiver *dest;
	int			nestlevel;
	int			ret;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = woes_api_begin(false, NULL);
	if (events_page_plan == NULL)
		events_page_plan = woes_prepare_kept(
			"SELECT e.* FROM woes.events e"
			" WHERE e.workspace_id OPERATOR(pg_catalog.=) $1"
			"   AND e.id OPERATOR(pg_catalog.>) $2"
			"   AND e.id OPERATOR(pg_catalog.<) $3"
			" ORDER BY e.id LIMIT $4", 4, types);
	params = makeParamList(4);
	for (i = 0; i < 4; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].pflags = PARAM_FLAG_CONST;
		params->params[i].ptype = types[i];
	}
	dest = CreateDestReceiver(DestTuplestore);
	SetTuplestoreDestReceiverParams(dest, out, out_cxt, false, out_desc,
									"the outbox's rows do not match woes.events");
	memset(&options, 0, sizeof(options));
	options.params = params;
	options.read_only = false;
	options.dest = dest;
	ret = SPI_execute_plan_extended(events_page_plan, &options);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read the outbox: %s", SPI_result_code_string(ret));
	dest->rDestroy(dest);
	woes_api_end(nestlevel);
	SPI_finish();
}

/*
 * events_since(cursor bigint, max integer DEFAULT 1000) returns setof events
 *		The workspace's events after cursor, in id order, at most max, below
 *		the horizon: its own step, before the snapshot the rows are read
 *		with (see the top of the file).  Runs as the caller, with
 *		row_security on whatever the session set.
 */
Datum
woes_events_since(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int64		after = PG_ARGISNULL(0) ? 0 : PG_GETARG_INT64(0);
	bool		max_null = PG_ARGISNULL(1);
	int32		max = max_null ? 0 : PG_GETARG_INT32(1);
	Datum		workspace;
	int64		horizon;
	MemoryContext per_query;
	MemoryContext old;
	TupleDesc	desc;
	Tuplestorestate *out;
	Snapshot	snap;
	int			pinned;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		!(rsinfo->allowedModes & SFRM_Materialize) || rsinfo->expectedDesc == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));

	horizon = outbox_horizon("reading the outbox", max_null, max,
							 woes_function_owner(fcinfo->flinfo->fn_oid));
	/* a copy: a policy's function could change the setting the context keeps */
	workspace = woes_uuid_copy(UUIDPGetDatum(woes_context_workspace()));

	per_query = rsinfo->econtext->ecxt_per_query_memory;
	old = MemoryContextSwitchTo(per_query);
	desc = CreateTupleDescCopy(rsinfo->expectedDesc);
	out = tuplestore_begin_heap((rsinfo->allowedModes & SFRM_Materialize_Random) != 0, false, work_mem);
	MemoryContextSwitchTo(old);

	/*
	 * woes's rules apply whatever the session's row_security; the key read
	 * judges the policies under it too (with it off, the owner of a table
	 * that forces row security would pass them by)
	 */
	pinned = woes_pin_rules_begin();
	/* a new snapshot, as a new statement's: after the horizon */
	CommandCounterIncrement();
	snap = RegisterSnapshot(GetTransactionSnapshot());
	/* the audience is checked above: woes's own policies admit every row of the workspace */
	if (!woes_probe_range_as_caller(&events_page, workspace, after, horizon, max, snap, true,
									out, desc))
		events_page_sql(workspace, after, horizon, max, out, desc, per_query);
	UnregisterSnapshot(snap);
	woes_pin_rules_end(pinned);

	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = out;
	rsinfo->setDesc = desc;
	return (Datum) 0;
}

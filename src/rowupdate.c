/*-------------------------------------------------------------------------
 *
 * rowupdate.c
 *		One row of a woes table, found by its key (workspace_id, id), updated
 *		through the executor's single-row update rather than an UPDATE
 *		statement run through SPI.
 *
 * Why: every message updates its conversation (messages.c), and every
 * status change is one update (lifecycle.c).  Through SPI each is a
 * statement: plan cache revalidation, row-level security's set-up, executor
 * start-up with its range table and the CHECK constraints read again from
 * their text form, run-time pruning, statement triggers and the tear-down,
 * for one row found by its primary key whose new values the trigger
 * computes from the old ones.  That was about a third of the update's cost
 * (test/bench/README.md, "Where the writes' time goes").
 *
 * What an UPDATE statement does, and what is done here instead:
 * - the row is read by the primary key's index under a fresh statement
 *   snapshot (after CommandCounterIncrement, as SPI takes one), so the
 *   serializable isolation level takes its predicate locks as a scan does;
 * - the caller's compute() plays the WHERE clause and the SET list on the
 *   visible version; then the row is locked in the mode an UPDATE of
 *   those columns takes.  Where it was updated concurrently, READ COMMITTED
 *   follows it to its latest version and computes again there (what
 *   EvalPlanQual does); REPEATABLE READ and SERIALIZABLE raise the
 *   serialization failure the statement raises;
 * - ExecSimpleRelationUpdate (logical replication's apply path) fires the
 *   BEFORE and AFTER row triggers (those declared UPDATE OF a column by
 *   the columns the caller sets, as for a SET list), computes generated
 *   columns, checks NOT NULL and CHECK constraints, writes the new version
 *   (HOT where it can) and its index entries; the foreign keys are checked
 *   by their triggers as in a statement.  A BEFORE trigger that changed the
 *   row itself gets the statement's error (update_row).
 * What is not: row-level security, rules, statement triggers and the
 * read-only check.  So the statement is used instead wherever one of those
 * could act: where the table has a rule, a transition table or a statement
 * trigger on UPDATE that is not woes's own; in a read-only transaction; on
 * a Citus node, where the statement is routed to the shard by Citus (which
 * must know of every access to a shard in a transaction); where the current user lacks the table's UPDATE or SELECT
 * privilege (the statement checks its columns'); where a module watches
 * the executor's permission checks (woes_permissions_hooked: pgaudit,
 * sepgsql), which see the statement and nothing else; and where the current
 * user is subject to row-level security -- unless every policy on the
 * table that judges an UPDATE or a SELECT is woes's own and the caller
 * vouches for what they test beyond the row's workspace, which the key
 * already fixes to the context's (policies_vouched: the status API, whose
 * audience check admits only the audiences woes's UPDATE policy on
 * conversations admits, and every one of those reads every conversation;
 * woes's own: by the policy's comment, and for every role).
 * The caller keeps its statement for these: WOES_UPDATE_USE_SQL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "policies.h"
#include "rowupdate.h"
#include "shards.h"

static AttrNumber
bound_attnum(const WoesRowUpdate *u, TupleDesc tupdesc, const char *name, const char *typname)
{
	int			i;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
		{
			if (!woes_type_is(att->atttypid, typname))
				break;
			return att->attnum;
		}
	}
	elog(ERROR, "woes.%s does not have the column \"%s\" of type %s this version of woes writes",
		 u->relname, name, typname);
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/*
 * the primary key's index, if it is (workspace_id, id): a key of another
 * shape sends every update to the statement
 */
static Oid
key_index(Relation rel, AttrNumber *key_attnums)
{
	AttrNumber	workspace_id = InvalidAttrNumber,
				id = InvalidAttrNumber;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Relation	index;
	Oid			result = InvalidOid;
	int			i;

	list_free(RelationGetIndexList(rel));	/* sets rd_pkindex */
	if (!OidIsValid(rel->rd_pkindex))
		return InvalidOid;
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped || att->atttypid != UUIDOID)
			continue;
		if (strcmp(NameStr(att->attname), "workspace_id") == 0)
			workspace_id = att->attnum;
		else if (strcmp(NameStr(att->attname), "id") == 0)
			id = att->attnum;
	}
	index = index_open(rel->rd_pkindex, AccessShareLock);
	if (index->rd_index->indnkeyatts == 2 &&
		index->rd_index->indkey.values[0] == workspace_id &&
		index->rd_index->indkey.values[1] == id &&
		workspace_id != InvalidAttrNumber && id != InvalidAttrNumber)
	{
		result = rel->rd_pkindex;
		key_attnums[0] = workspace_id;
		key_attnums[1] = id;
	}
	index_close(index, AccessShareLock);
	return result;
}

static void
bind_update(Relation rel, void *arg)
{
	WoesRowUpdate *u = (WoesRowUpdate *) arg;
	int			i;

	if (u->ncolumns > WOES_DIRECT_MAX_COLUMNS)
		elog(ERROR, "woes row update: too many columns for woes.%s", u->relname);
	for (i = 0; i < u->ncolumns; i++)
		u->attnums[i] = bound_attnum(u, RelationGetDescr(rel), u->columns[i].name, u->columns[i].typname);
	woes_checks_bind(&u->checks, RelationGetDescr(rel));
	u->pkindex = key_index(rel, u->key_attnums);
	u->as_designed = OidIsValid(u->pkindex) && rel->rd_rules == NULL &&
		rel->rd_rel->relkind == RELKIND_RELATION &&
		woes_statement_triggers_own(rel, CMD_UPDATE);
	u->own_policies = woes_policies_own(rel, (char[]) {ACL_UPDATE_CHR, ACL_SELECT_CHR, '\0'});
}

/*
 * Would the statement, run by the current user, do what the direct write
 * does?  See the top of the file.
 */
static bool
direct_as_statement(const WoesRowUpdate *u, bool policies_vouched)
{
	Oid			user = GetUserId();

	if (!u->as_designed)
		return false;
	if (pg_class_aclcheck(u->relid, user, ACL_UPDATE) != ACLCHECK_OK ||
		pg_class_aclcheck(u->relid, user, ACL_SELECT) != ACLCHECK_OK)
		return false;
	return check_enable_rls(u->relid, InvalidOid, true) != RLS_ENABLED ||
		(policies_vouched && u->own_policies);
}

/* the row by its key, as visible to snapshot, into slot */
static bool
find_row(const WoesRowUpdate *u, Relation rel, const pg_uuid_t *workspace, Datum id,
		 Snapshot snapshot, TupleTableSlot *slot)
{
	Relation	index = index_open(u->pkindex, AccessShareLock);
	ScanKeyData skey[2];
	IndexScanDesc scan;
	bool		found;

	ScanKeyEntryInitialize(&skey[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[0], F_UUID_EQ, UUIDPGetDatum((pg_uuid_t *) workspace));
	ScanKeyEntryInitialize(&skey[1], 0, 2, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[1], F_UUID_EQ, id);
	scan = woes_index_beginscan(rel, index, snapshot, 2);
	index_rescan(scan, skey, 2, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	index_endscan(scan);
	index_close(index, NoLock);
	return found;
}

/* does the row in slot still have this key (a later version may not)? */
static bool
key_matches(const WoesRowUpdate *u, TupleTableSlot *slot, const pg_uuid_t *workspace, Datum id)
{
	bool		wnull,
				inull;
	Datum		w = slot_getattr(slot, u->key_attnums[0], &wnull);
	Datum		i = slot_getattr(slot, u->key_attnums[1], &inull);

	return !wnull && !inull && memcmp(DatumGetUUIDP(w), workspace, UUID_LEN) == 0 &&
		memcmp(DatumGetUUIDP(i), DatumGetUUIDP(id), UUID_LEN) == 0;
}

/* compute() on the row in slot; the new row into newslot if it says yes */
static bool
compute_row(const WoesRowUpdate *u, TupleTableSlot *slot, TupleTableSlot *newslot, void *arg)
{
	Datum		old[WOES_DIRECT_MAX_COLUMNS];
	bool		oldnull[WOES_DIRECT_MAX_COLUMNS];
	Datum		values[WOES_DIRECT_MAX_COLUMNS];
	bool		nulls[WOES_DIRECT_MAX_COLUMNS];
	int			natts = slot->tts_tupleDescriptor->natts;
	int			i;

	slot_getallattrs(slot);
	for (i = 0; i < u->ncolumns; i++)
	{
		old[i] = slot->tts_values[u->attnums[i] - 1];
		oldnull[i] = slot->tts_isnull[u->attnums[i] - 1];
		values[i] = old[i];
		nulls[i] = oldnull[i];
	}
	if (!u->compute(old, oldnull, values, nulls, arg))
		return false;
	ExecClearTuple(newslot);
	memcpy(newslot->tts_values, slot->tts_values, natts * sizeof(Datum));
	memcpy(newslot->tts_isnull, slot->tts_isnull, natts * sizeof(bool));
	for (i = 0; i < u->nset; i++)
	{
		newslot->tts_values[u->attnums[i] - 1] = values[i];
		newslot->tts_isnull[u->attnums[i] - 1] = nulls[i];
	}
	ExecStoreVirtualTuple(newslot);
	return true;
}

pg_noreturn static void
serialization_failure(TM_Result result)
{
	ereport(ERROR,
			(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
			 errmsg("could not serialize access due to concurrent %s",
					result == TM_Deleted ? "delete" : "update")));
}

/* the executor state of one single-row update */
typedef struct DirectUpdate
{
	EState	   *estate;
	ResultRelInfo *rri;
	EPQState	epqstate;
	TupleTableSlot *oldslot;
	TupleTableSlot *newslot;
} DirectUpdate;

static void
begin_update(WoesRowUpdate *u, Relation rel, DirectUpdate *up)
{
	EState	   *estate = up->estate;
	Bitmapset  *updated = NULL;
	int			i;

	for (i = 0; i < u->nset; i++)
		updated = bms_add_member(updated, u->attnums[i] - FirstLowInvalidHeapAttributeNumber);
	up->rri = woes_direct_begin(estate, rel, &u->checks, updated);
	estate->es_snapshot = GetActiveSnapshot();
	woes_epq_init(&up->epqstate, estate);
	up->oldslot = table_slot_create(rel, &estate->es_tupleTable);
	up->newslot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
}

/*
 * lock_row
 *		Lock the row found, as the UPDATE would before writing it; in READ
 *		COMMITTED, a row updated since the snapshot is followed to its latest
 *		version.  The new row is computed again from the locked version.
 *		Returns whether there is a row to write (in newslot); USE_SQL through
 *		*fallback for what only the statement handles (a row this very
 *		command changed).
 */
static bool
lock_row(WoesRowUpdate *u, Relation rel, DirectUpdate *up, const pg_uuid_t *workspace, Datum id,
		 void *arg, bool *fallback, bool *gone)
{
	TM_FailureData tmfd;
	TM_Result	result;
	bool		follow = !IsolationUsesXactSnapshot();

	result = table_tuple_lock(rel, &up->oldslot->tts_tid, up->estate->es_snapshot, up->oldslot,
							  up->estate->es_output_cid, ExecUpdateLockMode(up->estate, up->rri),
							  LockWaitBlock, follow ? TUPLE_LOCK_FLAG_FIND_LAST_VERSION : 0, &tmfd);
	switch (result)
	{
		case TM_Ok:

			/*
			 * the version found, or (READ COMMITTED) a later one, now in
			 * oldslot: judged and computed again there, so that the new
			 * row's values point into the tuple the slot keeps pinned
			 */
			if (tmfd.traversed && !key_matches(u, up->oldslot, workspace, id))
				return false;	/* its key changed: the WHERE fails, as on a recheck */
			return compute_row(u, up->oldslot, up->newslot, arg);
		case TM_Deleted:
			if (!follow)
				serialization_failure(result);
			*gone = true;
			return false;		/* gone: as the statement finds no row */
		case TM_Updated:
			if (!follow)
				serialization_failure(result);
			*fallback = true;
			return false;
		default:
			*fallback = true;
			return false;
	}
}

/*
 * update_row
 *		ExecSimpleRelationUpdate, with the error the statement raises where a
 *		BEFORE trigger changed the row itself (through a statement of its
 *		own) before it is written.  The statement finds the row updated by a
 *		later command than its own and raises 27000, suggesting an AFTER
 *		trigger; the single-row update writes with the current command id,
 *		which that statement has moved past, so heapam finds the version it
 *		was given already replaced and reports an internal state instead
 *		("attempted to update invisible tuple" from heap_update, or "tuple
 *		already updated by self" from simple_table_tuple_update).  Exactly
 *		those two errors, told by their untranslated message and the
 *		function that raised them, once a command ran since this one started
 *		(a trigger's own statement), are taken for that.
 */
static void
update_row(DirectUpdate *up)
{
	MemoryContext cxt = CurrentMemoryContext;
	CommandId	cid = up->estate->es_output_cid;

	PG_TRY();
	{
		ExecSimpleRelationUpdate(up->rri, up->estate, &up->epqstate, up->oldslot, up->newslot);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		changed_by_trigger;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		changed_by_trigger = GetCurrentCommandId(false) != cid &&
			edata->funcname != NULL && edata->message_id != NULL &&
			((strcmp(edata->funcname, "heap_update") == 0 &&
			  strcmp(edata->message_id, "attempted to update invisible tuple") == 0) ||
			 (strcmp(edata->funcname, "simple_table_tuple_update") == 0 &&
			  strcmp(edata->message_id, "tuple already updated by self") == 0));
		FreeErrorData(edata);
		if (!changed_by_trigger)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
				 errmsg("tuple to be updated was already modified by an operation triggered by the current command"),
				 errhint("Consider using an AFTER trigger instead of a BEFORE trigger to propagate changes to other rows.")));
	}
	PG_END_TRY();
}

/*
 * woes_update_direct
 *		Update the row (workspace, id) of u's table as u->compute says, or
 *		return WOES_UPDATE_USE_SQL, having changed nothing, where the SQL
 *		statement must do it (see the top of the file).  On DONE the final
 *		row's columns, in u's order, are copied into cxt (if final_values is
 *		given).  A BEFORE trigger that skips the row makes it NONE, as the
 *		statement would update no row; *found says whether the row was
 *		there.  The caller runs as the one the statement would run as (in a
 *		woes trigger: the table's owner; in the status API: the caller).
 */
WoesUpdateResult
woes_update_direct(WoesRowUpdate *u, const pg_uuid_t *workspace, Datum id, bool policies_vouched,
				   void *arg, MemoryContext cxt, Datum *final_values, bool *final_nulls, bool *found)
{
	Relation	rel;
	DirectUpdate up;
	MemoryContext oldcxt;
	WoesUpdateResult result = WOES_UPDATE_NONE;
	bool		fallback = false;
	bool		gone = false;

	/*
	 * (a read-only transaction: the statement refuses it, before anything;
	 * an audit or access-control module sees the statement)
	 */
	if (woes_node() != WOES_NODE_SINGLE || XactReadOnly || woes_permissions_hooked())
		return WOES_UPDATE_USE_SQL;
	rel = woes_open_bound(u->relname, workspace, RowExclusiveLock, &u->valid, &u->relid, &u->pkindex,
						  bind_update, u);
	if (!direct_as_statement(u, policies_vouched))
	{
		table_close(rel, NoLock);
		return WOES_UPDATE_USE_SQL;
	}

	/* a statement's snapshot: everything committed, and this command's own writes */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	up.estate = CreateExecutorState();
	oldcxt = MemoryContextSwitchTo(up.estate->es_query_cxt);
	begin_update(u, rel, &up);

	*found = find_row(u, rel, workspace, id, up.estate->es_snapshot, up.oldslot);
	if (*found &&
		compute_row(u, up.oldslot, up.newslot, arg) &&
		lock_row(u, rel, &up, workspace, id, arg, &fallback, &gone))
	{
		AfterTriggerBeginQuery();
		update_row(&up);
		AfterTriggerEndQuery(up.estate);
		/* the new version's place, unless a BEFORE trigger skipped the row */
		if (ItemPointerIsValid(&up.newslot->tts_tid))
		{
			if (final_values)
				woes_copy_columns(up.newslot, u->attnums, u->ncolumns, cxt, final_values, final_nulls);
			result = WOES_UPDATE_DONE;
		}
	}
	if (fallback)
		result = WOES_UPDATE_USE_SQL;
	if (gone)
		*found = false;			/* deleted while it waited: not there */

	EvalPlanQualEnd(&up.epqstate);
	woes_direct_end(up.estate, up.rri);
	MemoryContextSwitchTo(oldcxt);
	FreeExecutorState(up.estate);
	PopActiveSnapshot();
	table_close(rel, NoLock);
	return result;
}

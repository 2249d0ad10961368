/*-------------------------------------------------------------------------
 *
 * probe.c
 *		A row of a woes table looked up by the keys of a unique index: a
 *		btree probe under the caller's snapshot instead of a query run
 *		through SPI.
 *
 * Why: the lookups of the hot paths are equality probes of unique indexes
 * -- the five of an intake (intake.c), the context's check (context_check.c)
 * -- and through SQL each was a statement: plan cache revalidation, the
 * executor's start-up and tear-down, row-level security's quals set up
 * again, for one index entry.  A probe opens the table as the statement
 * would (AccessShareLock, kept to the end of the transaction), reads the
 * index and fetches the row visible to the snapshot (the scan takes the
 * predicate locks of the serializable isolation level as a statement's
 * does).
 *
 * A probe finds its index by what it is -- the unique index on exactly its
 * columns, the table's primary key or unique constraint -- not by name: a
 * generated name depends on what else existed when the table was made (a
 * clash adds a digit) and is cut to NAMEDATALEN (the participants' one
 * ends in "_o_key"), and a DBA may rename it.
 *
 * Row-level security is the caller's to judge.  woes_probe() reads as the
 * table's owner would, for callers that only probe what every audience
 * they admit may see (intake.c says why its probes may); where a module
 * watches the executor's permission checks or adds policies of its own
 * (woes_permissions_hooked), it runs the query it stands for instead.
 * woes_probe_as_caller() stands for the caller's own query and says
 * WOES_PROBE_USE_SQL wherever that query could answer otherwise: the
 * current user lacks the table's SELECT privilege (the query would raise
 * it), or row-level security applies to the current user and either a
 * policy judging a SELECT is not woes's own or the caller does not vouch
 * that woes's own admit the row the keys find (policies_vouched).  On a
 * Citus node the query is left to Citus as well, and where a module
 * watches the executor's permission checks or adds policies of its own
 * (woes_permissions_hooked) to that module.
 *
 * woes_probe_range_as_caller() is the same for a page of rows, by the
 * index's first key and a range of its second, in index order (the
 * outbox's page: events.c), on the same terms.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"
#include "utils/uuid.h"

#include "compat.h"
#include "policies.h"
#include "probe.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

static AttrNumber
probe_attnum(const WoesProbe *p, Relation heap, const char *column)
{
	AttrNumber	attnum = get_attnum(RelationGetRelid(heap), column);

	if (attnum == InvalidAttrNumber)
		elog(ERROR, "woes.%s has no column %s", p->table, column);
	return attnum;
}

/*
 * probe_index_matches
 *		Whether an index of heap answers a probe of these key columns as
 *		the constraint's index would: valid, unique, a btree, not partial,
 *		and keyed by exactly these columns, in this order, each with its
 *		column's collation (another collation may call other strings equal)
 *		and its type's default operator class (another may call other
 *		values equal, or order them otherwise: a range probe reads in the
 *		index's order).
 */
static bool
probe_index_matches(Oid indexid, Relation heap, const AttrNumber *atts, int ncolumns)
{
	HeapTuple	tuple;
	Form_pg_index index;
	oidvector  *collations;
	oidvector  *opclasses;
	bool		isnull;
	bool		matches;
	int			i;

	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for index %u", indexid);
	index = (Form_pg_index) GETSTRUCT(tuple);
	matches = index->indisvalid && index->indisunique && index->indnkeyatts == ncolumns &&
		heap_attisnull(tuple, Anum_pg_index_indpred, NULL);
	collations = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
															   Anum_pg_index_indcollation,
															   &isnull));
	opclasses = (oidvector *) DatumGetPointer(SysCacheGetAttr(INDEXRELID, tuple,
															 Anum_pg_index_indclass,
															 &isnull));
	for (i = 0; matches && i < ncolumns; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(heap), atts[i] - 1);

		matches = index->indkey.values[i] == atts[i] &&
			collations->values[i] == att->attcollation &&
			opclasses->values[i] == GetDefaultOpClass(att->atttypid, BTREE_AM_OID);
	}
	ReleaseSysCache(tuple);
	if (!matches)
		return false;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(indexid));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "cache lookup failed for relation %u", indexid);
	matches = ((Form_pg_class) GETSTRUCT(tuple))->relam == BTREE_AM_OID;
	ReleaseSysCache(tuple);
	return matches;
}

/* "a, b, c": a probe's key columns, for an error */
static char *
probe_column_list(const WoesProbe *p)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; p->columns[i] != NULL; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", p->columns[i]);
	return buf.data;
}

/*
 * bind_probe
 *		The probe's index, from the table's index list, and the numbers of
 *		the columns it returns.  Every index that matches answers alike (a
 *		copy a DBA made of the constraint's): the first in the list is taken.
 */
static void
bind_probe(Relation heap, void *arg)
{
	WoesProbe  *p = (WoesProbe *) arg;
	AttrNumber	atts[WOES_PROBE_MAX_COLUMNS];
	int			ncolumns;
	List	   *indexes;
	ListCell   *lc;
	int			i;

	for (ncolumns = 0; p->columns[ncolumns] != NULL; ncolumns++)
		atts[ncolumns] = probe_attnum(p, heap, p->columns[ncolumns]);
	p->indexid = InvalidOid;
	indexes = RelationGetIndexList(heap);
	foreach(lc, indexes)
	{
		if (probe_index_matches(lfirst_oid(lc), heap, atts, ncolumns))
		{
			p->indexid = lfirst_oid(lc);
			break;
		}
	}
	list_free(indexes);
	if (!OidIsValid(p->indexid))
		elog(ERROR, "woes.%s has no unique index on (%s)", p->table, probe_column_list(p));
	for (i = 0; i < 2; i++)
	{
		p->fetch_att[i] = InvalidAttrNumber;
		if (p->fetch[i] != NULL)
			p->fetch_att[i] = probe_attnum(p, heap, p->fetch[i]);
	}
	p->own_read_policies = woes_policies_own(heap, (char[]) {ACL_SELECT_CHR, '\0'});
}

/*
 * probe_open
 *		The probe's table (on a Citus node: the shard of the workspace's
 *		rows), locked as a statement would lock it, with the probe bound to
 *		it (woes_open_bound: by name, then under the lock, then bound).
 */
static Relation
probe_open(WoesProbe *p, const Datum *keys)
{
	/* a workspace's rows: the key leads with workspace_id (channels are global) */
	const pg_uuid_t *workspace = strcmp(p->columns[0], "workspace_id") == 0 ?
		DatumGetUUIDP(keys[0]) : NULL;

	return woes_open_bound(p->table, workspace, AccessShareLock, &p->valid, &p->relid, &p->indexid,
						   bind_probe, p);
}

/* the probe on the open table; its fetch columns into out/out_null */
static bool
probe_in(const WoesProbe *p, Relation heap, const Datum *keys, Snapshot snap,
		 Datum *out, bool *out_null)
{
	Relation	index;
	ScanKeyData skey[WOES_PROBE_MAX_COLUMNS];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;
	int			i;

	index = index_open(p->indexid, AccessShareLock);
	for (i = 0; i < p->nkeys; i++)
	{
		Oid			type = TupleDescAttr(RelationGetDescr(index), i)->atttypid;

		if (type != UUIDOID && type != TEXTOID)
			elog(ERROR, "index %s of woes.%s does not have the expected columns",
				 RelationGetRelationName(index), p->table);
		ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[i],
							   type == UUIDOID ? F_UUID_EQ : F_TEXTEQ, keys[i]);
	}
	slot = table_slot_create(heap, NULL);
	scan = woes_index_beginscan(heap, index, snap, p->nkeys);
	index_rescan(scan, skey, p->nkeys, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found && out != NULL)
		for (i = 0; i < 2; i++)
			if (p->fetch_att[i] != InvalidAttrNumber)
			{
				Datum		d = slot_getattr(slot, p->fetch_att[i], &out_null[i]);
				Form_pg_attribute att = TupleDescAttr(RelationGetDescr(heap), p->fetch_att[i] - 1);

				out[i] = out_null[i] ? (Datum) 0 : datumCopy(d, att->attbyval, att->attlen);
			}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	return found;
}

/*
 * probe_sql
 *		The probe as the query it stands for, run through SPI as the current
 *		user, for a module that must see it (woes_permissions_hooked): the
 *		first row whose key columns equal the keys, its fetch columns.  Its
 *		plan is kept per kind; the read-write execution takes a fresh
 *		statement snapshot, as the probe's caller takes one after its locks.
 */
static bool
probe_sql(WoesProbe *p, const Datum *keys, Datum *out, bool *out_null)
{
	MemoryContext cxt = CurrentMemoryContext;
	bool		found;
	int			ret;
	int			i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (p->sql_plan == NULL)
	{
		Relation	heap = probe_open(p, keys);
		TupleDesc	desc = RelationGetDescr(heap);
		Oid			types[WOES_PROBE_MAX_COLUMNS];
		StringInfoData query;

		initStringInfo(&query);
		appendStringInfo(&query, "SELECT %s, %s FROM woes.%s WHERE true",
						 p->fetch[0] ? quote_identifier(p->fetch[0]) : "NULL",
						 p->fetch[1] ? quote_identifier(p->fetch[1]) : "NULL",
						 quote_identifier(p->table));
		for (i = 0; i < p->nkeys; i++)
		{
			types[i] = TupleDescAttr(desc, probe_attnum(p, heap, p->columns[i]) - 1)->atttypid;
			appendStringInfo(&query, " AND %s OPERATOR(pg_catalog.=) $%d",
							 quote_identifier(p->columns[i]), i + 1);
		}
		appendStringInfoString(&query, " LIMIT 1");
		table_close(heap, NoLock);
		p->sql_plan = woes_prepare_kept(query.data, p->nkeys, types);
	}
	ret = SPI_execute_plan(p->sql_plan, (Datum *) keys, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not look up woes.%s: %s", p->table, SPI_result_code_string(ret));
	found = SPI_processed > 0;
	if (found && out != NULL)
		for (i = 0; i < 2; i++)
			if (p->fetch[i] != NULL)
			{
				Form_pg_attribute att = TupleDescAttr(SPI_tuptable->tupdesc, i);
				Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, i + 1,
											  &out_null[i]);
				MemoryContext old = MemoryContextSwitchTo(cxt);

				out[i] = out_null[i] ? (Datum) 0 : datumCopy(d, att->attbyval, att->attlen);
				MemoryContextSwitchTo(old);
			}
	SPI_finish();
	return found;
}

/*
 * woes_probe
 *		The first row visible to snap whose index keys equal keys[0..nkeys-1];
 *		its fetch columns into out/out_null.  false if there is none.  Row-
 *		level security is not applied: see the top of the file.  Where a
 *		module watches the executor's permission checks or adds policies of
 *		its own, the query it stands for runs instead, as the current user.
 */
bool
woes_probe(WoesProbe *p, const Datum *keys, Snapshot snap, Datum *out, bool *out_null)
{
	Relation	heap;
	bool		found;

	if (woes_permissions_hooked())
		return probe_sql(p, keys, out, out_null);
	heap = probe_open(p, keys);
	found = probe_in(p, heap, keys, snap, out, out_null);

	table_close(heap, NoLock);
	return found;
}

/*
 * woes_probe_as_caller
 *		The same probe, standing for the current user's query of the row by
 *		these keys -- or WOES_PROBE_USE_SQL where that query could answer
 *		otherwise (see the top of the file).  Only whether the row exists.
 */
WoesProbeResult
woes_probe_as_caller(WoesProbe *p, const Datum *keys, Snapshot snap, bool policies_vouched)
{
	Oid			user = GetUserId();
	Relation	heap;
	bool		found;

	if (woes_node() != WOES_NODE_SINGLE || woes_permissions_hooked())
		return WOES_PROBE_USE_SQL;
	heap = probe_open(p, keys);
	if (pg_class_aclcheck(p->relid, user, ACL_SELECT) != ACLCHECK_OK ||
		(check_enable_rls(p->relid, InvalidOid, true) == RLS_ENABLED &&
		 !(policies_vouched && p->own_read_policies)))
	{
		table_close(heap, NoLock);
		return WOES_PROBE_USE_SQL;
	}
	found = probe_in(p, heap, keys, snap, NULL, NULL);
	table_close(heap, NoLock);
	return found ? WOES_PROBE_FOUND : WOES_PROBE_NONE;
}

/*
 * Whether the rows of the table, as stored, are rows of the row type the
 * caller's result was described with: column by column (a concurrent ALTER
 * may have changed a type since), and no virtual generated column (stored
 * as NULL; the query computes it).
 */
static bool
stored_as_described(TupleDesc stored, TupleDesc described)
{
	int			i;

	if (stored->natts != described->natts)
		return false;
	for (i = 0; i < stored->natts; i++)
	{
		Form_pg_attribute s = TupleDescAttr(stored, i);
		Form_pg_attribute d = TupleDescAttr(described, i);

		if (s->attisdropped != d->attisdropped)
			return false;
		if (s->attisdropped)
			continue;
		if (s->atttypid != d->atttypid || s->atttypmod != d->atttypmod)
			return false;
#ifdef ATTRIBUTE_GENERATED_VIRTUAL
		if (s->attgenerated == ATTRIBUTE_GENERATED_VIRTUAL)
			return false;
#endif
	}
	return true;
}

/*
 * woes_probe_range_as_caller
 *		Stands for the current user's query
 *
 *			SELECT * FROM woes.<table> WHERE <column 1> = key
 *			   AND <column 2> > after AND <column 2> < before
 *			 ORDER BY <column 2> LIMIT max
 *
 *		for a probe whose unique index is (uuid, bigint): the rows visible to
 *		snap, whole, appended to out (whose descriptor is the table's row
 *		type).  false, with nothing appended, where that query could answer
 *		otherwise (as for woes_probe_as_caller; and where the stored rows are
 *		not of that row type); the caller runs it then.  The index is the
 *		constraint's kind (probe_index_matches): the range and its order are
 *		int8's own.
 */
bool
woes_probe_range_as_caller(WoesProbe *p, Datum key, int64 after, int64 before, int64 max,
						   Snapshot snap, bool policies_vouched,
						   Tuplestorestate *out, TupleDesc out_desc)
{
	Relation	heap;
	Relation	index;
	TupleDesc	desc;
	ScanKeyData skey[3];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	int64		n = 0;

	Assert(p->nkeys == 1 && p->columns[1] != NULL && p->columns[2] == NULL);
	if (woes_node() != WOES_NODE_SINGLE || woes_permissions_hooked())
		return false;
	heap = probe_open(p, &key);
	desc = RelationGetDescr(heap);
	if (pg_class_aclcheck(p->relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		(check_enable_rls(p->relid, InvalidOid, true) == RLS_ENABLED &&
		 !(policies_vouched && p->own_read_policies)) ||
		!stored_as_described(desc, out_desc))
	{
		table_close(heap, NoLock);
		return false;
	}
	index = index_open(p->indexid, AccessShareLock);
	if (TupleDescAttr(RelationGetDescr(index), 0)->atttypid != UUIDOID ||
		TupleDescAttr(RelationGetDescr(index), 1)->atttypid != INT8OID)
		elog(ERROR, "index %s of woes.%s does not have the expected columns",
			 RelationGetRelationName(index), p->table);
	ScanKeyEntryInitialize(&skey[0], 0, 1, BTEqualStrategyNumber, InvalidOid,
						   index->rd_indcollation[0], F_UUID_EQ, key);
	ScanKeyEntryInitialize(&skey[1], 0, 2, BTGreaterStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8GT, Int64GetDatum(after));
	ScanKeyEntryInitialize(&skey[2], 0, 2, BTLessStrategyNumber, InvalidOid,
						   InvalidOid, F_INT8LT, Int64GetDatum(before));
	slot = table_slot_create(heap, NULL);
	scan = woes_index_beginscan(heap, index, snap, 3);
	index_rescan(scan, skey, 3, NULL, 0);
	while (n < max && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		should_free;
		HeapTuple	tuple = ExecFetchSlotHeapTuple(slot, false, &should_free);

		/*
		 * The stored tuple as it is, unless it predates a column added
		 * since: then its columns, the added ones' defaults included (the
		 * reader's copy of the descriptor has no defaults to fill them in)
		 */
		if (HeapTupleHeaderGetNatts(tuple->t_data) == desc->natts)
			tuplestore_puttuple(out, tuple);
		else
		{
			slot_getallattrs(slot);
			tuplestore_putvalues(out, out_desc, slot->tts_values, slot->tts_isnull);
		}
		if (should_free)
			heap_freetuple(tuple);
		n++;
		CHECK_FOR_INTERRUPTS();
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return true;
}

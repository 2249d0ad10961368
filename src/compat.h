/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every PostgreSQL-version difference the woes extension meets, as
 *		small wrappers, so that the .c files carry no version #if.
 *
 * woes builds and is tested on PostgreSQL 15, 17 and 18 (and is expected to
 * work on 16, which this header covers too).  Include after the headers that
 * declare what is wrapped (postgres.h, the executor, the catalog, utils/guc).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_COMPAT_H
#define WOES_COMPAT_H

#include "access/genam.h"
#include "catalog/dependency.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "parser/parse_relation.h"
#include "utils/guc.h"
#include "utils/guc_tables.h"
#include "utils/rel.h"

#if PG_VERSION_NUM < 150000
#error "woes needs PostgreSQL 15 or later"
#endif

/* 18 declares a function that does not return by a prefix, pg_noreturn */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * The "extra" a GUC check hook hands to its assign hook.  PostgreSQL frees
 * it with its own allocator: malloc/free before 16, since then memory of a
 * GUC memory context through guc_malloc/guc_free.  Freeing one allocator's
 * memory with the other's aborts the backend.
 */
static inline void *
woes_guc_extra_alloc(size_t size)
{
#if PG_VERSION_NUM >= 160000
	return guc_malloc(LOG, size);
#else
	return malloc(size);
#endif
}

static inline void
woes_guc_extra_free(void *extra)
{
#if PG_VERSION_NUM >= 160000
	guc_free(extra);
#else
	free(extra);
#endif
}

/*
 * The GUC record of a setting, which must exist.  The records of custom
 * settings stay where they are for the backend's life, so callers may keep
 * it.  (find_option is exported since 16.)
 */
static inline struct config_generic *
woes_find_guc(const char *name)
{
#if PG_VERSION_NUM >= 160000
	return find_option(name, false, false, ERROR);
#else
	struct config_generic **vars = get_guc_variables();
	int			n = GetNumConfigOptions();
	int			i;

	for (i = 0; i < n; i++)
		if (strcmp(vars[i]->name, name) == 0)
			return vars[i];
	elog(ERROR, "setting \"%s\" is not defined", name);
	return NULL;				/* keep the compiler quiet */
#endif
}

/* the sequence of an identity column (takes the Relation since 17) */
static inline Oid
woes_identity_sequence(Relation rel, AttrNumber attnum)
{
#if PG_VERSION_NUM >= 170000
	return getIdentitySequence(rel, attnum, false);
#else
	return getIdentitySequence(RelationGetRelid(rel), attnum, false);
#endif
}

/*
 * The executor's range table for a direct write to one relation, and the
 * columns an update sets (NULL for an insert): row triggers declared
 * UPDATE OF a column fire by them, as they would for the statement's SET
 * list.  Since 16 each relation entry points at its RTEPermissionInfo,
 * which the executor reads (a CHECK violation's detail looks up the
 * columns' privileges there; the updated columns live there too): build it
 * as PostgreSQL's logical replication worker does.  Since 18 the range
 * table also names the entries left after pruning: the one entry.
 */
static inline void
woes_init_range_table(EState *estate, RangeTblEntry *rte, Bitmapset *updated)
{
#if PG_VERSION_NUM >= 160000
	List	   *perminfos = NIL;
	RTEPermissionInfo *perminfo = addRTEPermissionInfo(&perminfos, rte);

	perminfo->updatedCols = updated;
#else
	rte->updatedCols = updated;
#endif
#if PG_VERSION_NUM >= 180000
	ExecInitRangeTable(estate, list_make1(rte), perminfos, bms_make_singleton(1));
#elif PG_VERSION_NUM >= 160000
	ExecInitRangeTable(estate, list_make1(rte), perminfos);
#else
	ExecInitRangeTable(estate, list_make1(rte));
#endif
}

/* an EvalPlanQual state with no plan, for a single-row update (16 added an argument) */
static inline void
woes_epq_init(EPQState *epqstate, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	EvalPlanQualInit(epqstate, estate, NULL, NIL, -1, NIL);
#else
	EvalPlanQualInit(epqstate, estate, NULL, NIL, -1);
#endif
}

/* the CHECK constraint expressions of a result relation (renamed in 18) */
#if PG_VERSION_NUM >= 180000
#define WOES_RRI_CHECK_EXPRS(rri) ((rri)->ri_CheckConstraintExprs)
#else
#define WOES_RRI_CHECK_EXPRS(rri) ((rri)->ri_ConstraintExprs)
#endif

/*
 * Can a table's CHECK constraints be prepared from their parsed copies as
 * ExecRelCheck would prepare them?  Since 18 it skips a NOT ENFORCED one and
 * expands virtual generated columns in them: there, such a table is left to
 * ExecRelCheck.
 */
static inline bool
woes_checks_plain(TupleDesc tupdesc)
{
#if PG_VERSION_NUM >= 180000
	int			i;

	if (tupdesc->constr->has_generated_virtual)
		return false;
	for (i = 0; i < tupdesc->constr->num_check; i++)
		if (!tupdesc->constr->check[i].ccenforced)
			return false;
#endif
	return true;
}

/* index entries for a new heap tuple, no conflict checks (16 added a flag) */
static inline List *
woes_insert_index_tuples(ResultRelInfo *rri, TupleTableSlot *slot, EState *estate)
{
#if PG_VERSION_NUM >= 160000
	return ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL, false);
#else
	return ExecInsertIndexTuples(rri, slot, estate, false, false, NULL, NIL);
#endif
}

/* an index scan without instrumentation (18 added the argument) */
static inline IndexScanDesc
woes_index_beginscan(Relation heap, Relation index, Snapshot snapshot, int nkeys)
{
#if PG_VERSION_NUM >= 180000
	return index_beginscan(heap, index, snapshot, NULL, nkeys, 0);
#else
	return index_beginscan(heap, index, snapshot, nkeys, 0);
#endif
}

#endif							/* WOES_COMPAT_H */

/*-------------------------------------------------------------------------
 *
 * plans.c
 *		A session's cached plans are made again when its context moves to a
 *		workspace of another size.
 *
 * Every query on a woes table carries its policy's
 * "workspace_id = woes.current_workspace()".  The planner folds that stable
 * function into its estimates (estimate_expression_value), so a plan is
 * made for the size of the workspace of the moment.  A prepared statement,
 * a PL/pgSQL function's static SQL and the plans woes's C code keeps have
 * no parameter for the workspace, so that plan serves every later workspace
 * of the session.  For a page (ORDER BY ... LIMIT) that is a hazard in one
 * direction: planned for a small workspace (read every open conversation,
 * then sort), it reads all of a large workspace's; planned for a large one
 * (walk the index in order, stop after the page), it serves a small one as
 * well.
 *
 * So each page's plan is marked with the size class of the workspace it was
 * made for (the rows of conversations the planner expects for it, from the
 * statistics, in powers of four), as a pg_proc dependency of a hash no
 * function has.  When the context moves to a workspace of a larger class,
 * the pg_proc invalidation callbacks with the hashes of the smaller classes
 * mark those plans invalid, and each is planned again at its next use, for
 * the workspace then current.  A plan is so made again at most once per
 * class (about ten), whatever order the workspaces come in.
 *
 * A plan that reads a share of the workspace rather than a page or a few
 * rows by key (an aggregate, a hash or merge join, a sequential scan, with
 * no LIMIT) is a hazard in both directions: planned for a
 * small workspace (index scans, nested loops), it probes a large one row by
 * row; planned for a large one (a sequential scan of the table), it reads
 * every workspace's rows for a small one.  Such a plan is marked likewise,
 * with hashes of a second range, and is made again whenever the context
 * moves to a workspace of another class.  That costs a planning per class
 * change, small beside what such a statement reads.  A plan that only looks
 * rows up by key (a point lookup) is left as it is: it is the same plan for
 * every workspace, and planning it again would cost more than running it.
 * Nothing changes on a Citus coordinator, whose tables have no statistics
 * (the workers plan each shard query anew).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "catalog/pg_statistic.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "context.h"
#include "ids.h"
#include "plans.h"

/* size classes: rows < 4 is class 0, then one per power of four */
#define PLANS_CLASSES 24
/* workspaces whose size a session remembers; past that it starts over (as shards.c's map) */
#define SIZES_MAX 4096

typedef struct WorkspaceRows
{
	pg_uuid_t	workspace;		/* hash key */
	double		rows;			/* estimated rows of conversations */
} WorkspaceRows;

static planner_hook_type prev_planner_hook = NULL;

/* what the session knows of the catalog (forgotten when conversations changes) */
static Oid	conversations_relid = InvalidOid;
static uint32 current_workspace_hash;
/* estimated size per workspace, from the statistics (forgotten likewise) */
static HTAB *sizes = NULL;
/* the classes that pages have been planned for (bit c: class c) */
static uint32 paged_classes = 0;
/* the classes that whole-workspace plans have been planned for */
static uint32 whole_classes = 0;
/* bumped by woes_plans_forget: an estimate made across it is not kept */
static uint64 forget_count = 0;

typedef enum PlanKind
{
	PLAN_ANY,					/* the same plan serves every workspace */
	PLAN_PAGE,					/* a LIMIT: made again for a larger class */
	PLAN_WHOLE					/* reads a share of the workspace: again for any other class */
} PlanKind;

/* the catalog objects, looked up once (in a transaction) */
static bool
plans_catalog(void)
{
	Oid			nsp;
	Oid			fn;

	if (OidIsValid(conversations_relid))
		return true;
	nsp = get_namespace_oid("woes", true);
	if (!OidIsValid(nsp))
		return false;
	/* by the catalog, not by name: no USAGE check (an analyst has none on woes) */
	fn = GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("current_workspace"),
						 PointerGetDatum(buildoidvector(NULL, 0)), ObjectIdGetDatum(nsp));
	if (!OidIsValid(fn))
		return false;
	current_workspace_hash = GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum(fn));
	conversations_relid = get_relname_relid("conversations", nsp);
	return OidIsValid(conversations_relid);
}

/*
 * The rows of conversations the planner expects for this workspace: as
 * var_eq_const does, its frequency if it is one of the most common values,
 * else the share of the rest; 0 without statistics.
 */
static double
estimate_rows(Oid relid, const pg_uuid_t *workspace)
{
	HeapTuple	tuple;
	double		reltuples;
	double		rows = -1;
	double		mcv_total = 0;
	int			mcv_count = 0;
	AttrNumber	attnum;
	AttStatsSlot sslot;
	Form_pg_statistic stats;
	double		ndistinct;

	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tuple))
		return 0;
	reltuples = ((Form_pg_class) GETSTRUCT(tuple))->reltuples;
	ReleaseSysCache(tuple);
	attnum = get_attnum(relid, "workspace_id");
	if (reltuples <= 0 || attnum == InvalidAttrNumber)
		return 0;
	tuple = SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(relid),
							Int16GetDatum(attnum), BoolGetDatum(false));
	if (!HeapTupleIsValid(tuple))
		return 0;
	stats = (Form_pg_statistic) GETSTRUCT(tuple);
	if (get_attstatsslot(&sslot, tuple, STATISTIC_KIND_MCV, InvalidOid,
						 ATTSTATSSLOT_VALUES | ATTSTATSSLOT_NUMBERS))
	{
		for (int i = 0; i < sslot.nvalues && i < sslot.nnumbers; i++)
		{
			mcv_total += sslot.numbers[i];
			if (woes_uuid_equal(DatumGetUUIDP(sslot.values[i]), workspace))
				rows = sslot.numbers[i] * reltuples;
		}
		mcv_count = sslot.nvalues;
		free_attstatsslot(&sslot);
	}
	if (rows < 0)
	{
		ndistinct = stats->stadistinct < 0 ? -stats->stadistinct * reltuples : stats->stadistinct;
		rows = ndistinct - mcv_count >= 1
			? Max(0.0, 1.0 - mcv_total - stats->stanullfrac) * reltuples / (ndistinct - mcv_count)
			: 0;
	}
	ReleaseSysCache(tuple);
	return rows;
}

/*
 * The workspace's estimated size, computed once per statistics; < 0: no
 * woes here.  The catalog lookups of an estimate may take a lock and so
 * take in invalidations, among them one of conversations (an ANALYZE just
 * committed) that makes woes_plans_forget drop the sizes and the relation's
 * oid: the estimate works on its own copy of the oid, and one made across
 * such a reset is used but not kept.
 */
static double
workspace_rows(const pg_uuid_t *workspace)
{
	WorkspaceRows *entry;
	bool		found;
	double		rows;
	uint64		before;

	if (!plans_catalog())
		return -1;
	if (sizes != NULL)
	{
		entry = hash_search(sizes, workspace, HASH_FIND, &found);
		if (found)
			return entry->rows;
	}
	before = forget_count;
	rows = estimate_rows(conversations_relid, workspace);
	if (forget_count != before)
		return rows;
	if (sizes != NULL && hash_get_num_entries(sizes) >= SIZES_MAX)
	{
		hash_destroy(sizes);
		sizes = NULL;
	}
	if (sizes == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(pg_uuid_t);
		ctl.entrysize = sizeof(WorkspaceRows);
		ctl.hcxt = TopMemoryContext;
		sizes = hash_create("woes workspace sizes", 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(sizes, workspace, HASH_ENTER, &found);
	entry->rows = rows;
	return rows;
}

static int
size_class(double rows)
{
	int			c = rows < 4 ? 0 : (int) floor(log(rows) / log(4.0));

	return Min(c, PLANS_CLASSES - 1);
}

/*
 * The hash a page planned for a workspace of this class depends on: that
 * of an object id no function has (the top of the range; a collision would
 * only make some plans again).
 */
static uint32
class_hash(PlanKind kind, int c)
{
	uint32		base = kind == PLAN_PAGE ? 0xFFFFFF00u : 0xFFFFFF40u;

	return GetSysCacheHashValue1(PROCOID, ObjectIdGetDatum((Oid) (base + (uint32) c)));
}

/*
 * The size class of a workspace the context is about to move to, for the
 * check hook of the woes.workspace setting, which keeps it with the value
 * (so that the value's undo at the end of a transaction or subtransaction,
 * or a role's default coming back, knows it too); -1 when it is not known
 * here: no transaction (the catalog cannot be read: a configuration file),
 * a parallel worker (it plans nothing), no woes in this database.  It may
 * read the catalog, and so fail, as a check hook may: before anything has
 * changed.  Once per workspace and statistics; then a hash lookup.
 */
int
woes_plans_size_class(const pg_uuid_t *workspace)
{
	double		rows;

	if (!IsTransactionState() || IsParallelWorker())
		return -1;
	rows = workspace_rows(workspace);
	return rows < 0 ? -1 : size_class(rows);
}

/*
 * The context's workspace is now one of this size class (the woes.workspace
 * setting's assign hook, with the class its check hook found; -1: not
 * known): pages planned for smaller workspaces, and whole-workspace plans
 * planned for workspaces of another class, are made again.  With no
 * workspace nothing is (no row is visible to any plan).  An assign hook
 * must not fail, and runs where the catalog cannot be read (the undo of a
 * setting when a transaction or a subtransaction ends): this only calls the
 * plan cache's invalidation callbacks, which touch memory only.  A class
 * not known makes every marked plan again.  Not outside a transaction (a
 * configuration reload): no plan runs before the next statement sets a
 * context again.
 */
void
woes_plans_class_set(bool has_workspace, int k)
{
	if (!has_workspace || (paged_classes | whole_classes) == 0 || GetCurrentTransactionNestLevel() == 0)
		return;
	for (int c = 0; c < PLANS_CLASSES; c++)
	{
		if ((k < 0 || c < k) && (paged_classes & (1u << c)))
		{
			CallSyscacheCallbacks(PROCOID, class_hash(PLAN_PAGE, c));
			paged_classes &= ~(1u << c);
		}
		if (c != k && (whole_classes & (1u << c)))
		{
			CallSyscacheCallbacks(PROCOID, class_hash(PLAN_WHOLE, c));
			whole_classes &= ~(1u << c);
		}
	}
}

/* does the plan use current_workspace() (a policy of a woes table)? */
static bool
uses_current_workspace(PlannedStmt *plan)
{
	ListCell   *lc;

	foreach(lc, plan->invalItems)
	{
		PlanInvalItem *item = lfirst_node(PlanInvalItem, lc);

		if (item->cacheId == PROCOID && item->hashValue == current_workspace_hash)
			return true;
	}
	return false;
}

/* is there a LIMIT anywhere in the query (a page, maybe in a subquery)? */
static bool
has_limit(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Query))
	{
		if (((Query *) node)->limitCount != NULL)
			return true;
		return query_tree_walker((Query *) node, has_limit, context, 0);
	}
	return expression_tree_walker(node, has_limit, context);
}

/*
 * Does the plan read a share of its relations rather than rows by key: an
 * aggregate, a hash or merge join, a sequential scan?  (Not a bitmap scan
 * or a sort alone: those also serve lookups by a key other than the
 * workspace, a customer's conversations, whose plan is the same for any
 * workspace.)
 */
static bool
reads_a_share(Plan *plan)
{
	ListCell   *lc;
	List	   *children = NIL;

	if (plan == NULL)
		return false;
	switch (nodeTag(plan))
	{
		case T_Agg:
		case T_WindowAgg:
		case T_HashJoin:
		case T_MergeJoin:
		case T_SeqScan:
			return true;
		case T_Append:
			children = ((Append *) plan)->appendplans;
			break;
		case T_MergeAppend:
			children = ((MergeAppend *) plan)->mergeplans;
			break;
		case T_SubqueryScan:
			return reads_a_share(((SubqueryScan *) plan)->subplan);
		default:
			break;
	}
	foreach(lc, children)
	{
		if (reads_a_share((Plan *) lfirst(lc)))
			return true;
	}
	return reads_a_share(plan->lefttree) || reads_a_share(plan->righttree);
}

static PlanKind
plan_kind(bool limit, PlannedStmt *plan)
{
	ListCell   *lc;

	if (limit)
		return PLAN_PAGE;
	if (reads_a_share(plan->planTree))
		return PLAN_WHOLE;
	foreach(lc, plan->subplans)
	{
		if (reads_a_share((Plan *) lfirst(lc)))
			return PLAN_WHOLE;
	}
	return PLAN_ANY;
}

/*
 * The planner: a plan that reads a workspace is marked with its size class.
 * Whether the query has a LIMIT is seen before planning: the planner turns
 * a sublink's query into a subplan in place, and its LIMIT with it.  A
 * plan made with no workspace set (it sees no row) is marked as made for
 * the smallest class.
 */
static PlannedStmt *
woes_planner(Query *parse, const char *query_string, int cursor_options, ParamListInfo bound_params)
{
	PlannedStmt *result;
	const pg_uuid_t *workspace;
	double		rows;
	int			c;
	PlanInvalItem *item;
	PlanKind	kind;
	bool		limit = has_limit((Node *) parse, NULL);

	if (prev_planner_hook)
		result = prev_planner_hook(parse, query_string, cursor_options, bound_params);
	else
		result = standard_planner(parse, query_string, cursor_options, bound_params);
	if (result->invalItems == NIL || !plans_catalog() || !uses_current_workspace(result))
		return result;
	kind = plan_kind(limit, result);
	if (kind == PLAN_ANY)
		return result;
	workspace = woes_context_workspace();
	if (workspace == NULL)
		c = 0;
	else
	{
		rows = workspace_rows(workspace);
		if (rows < 0)
			return result;
		c = size_class(rows);
	}
	item = makeNode(PlanInvalItem);
	item->cacheId = PROCOID;
	item->hashValue = class_hash(kind, c);
	result->invalItems = lappend(result->invalItems, item);
	if (kind == PLAN_PAGE)
		paged_classes |= 1u << c;
	else
		whole_classes |= 1u << c;
	return result;
}

/* the relcache callback (woes.c): conversations changed, or was analyzed */
void
woes_plans_forget(Oid relid)
{
	if (!OidIsValid(relid) || relid == conversations_relid)
	{
		forget_count++;
		conversations_relid = InvalidOid;
		if (sizes != NULL)
		{
			hash_destroy(sizes);
			sizes = NULL;
		}
	}
}

void
woes_plans_init(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = woes_planner;
}

/*-------------------------------------------------------------------------
 *
 * rowwriter.c
 *		Append-only rows that only woes's own triggers write (status and
 *		handoff history, the outbox) go straight into the table through the
 *		executor's single-row insert, not through SPI.
 *
 * Why: each status change and each message writes one or two of these
 * rows inside a trigger.  Through SPI, every one is a statement: plan
 * cache revalidation, executor start-up with its range table, permission
 * and row-level security checks, a statement trigger and the tear-down,
 * for one row whose every value the trigger already holds.  That was
 * about a third of a status change's cost.
 *
 * What still applies: ExecSimpleRelationInsert is the path logical
 * replication applies rows with.  It checks NOT NULL and CHECK
 * constraints, inserts the index entries (unique ones checked), and fires
 * the row triggers, so foreign keys are checked as before (deferred ones at
 * commit) -- except where the caller holds the referenced conversation row
 * locked, see woes_insert_direct.  What does not: row-level security and
 * statement triggers.
 * Nobody is granted INSERT on these tables; the callers are the woes
 * triggers, writing under a validated context for the row they are
 * processing, which is exactly what those policies would have let through.
 *
 * Each table's columns are bound by name and checked by type once per
 * backend (again after any change to the table), so a column added or
 * retyped by a later version is an error here, never a silently wrong row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "utils/datum.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/acl.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "rewrite/rowsecurity.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "compat.h"
#include "errcodes.h"
#include "context.h"
#include "eventtime.h"
#include "policies.h"
#include "rowwriter.h"
#include "shards.h"

/* the columns a caller passes, in its order; id and created_at are filled here */
typedef struct DirectColumn
{
	const char *name;
	const char *typname;		/* pg_type.typname, checked once */
} DirectColumn;

typedef struct DirectTable
{
	const char *relname;
	bool		for_caller;		/* rows written in place of a caller's INSERT (as_caller) */
	const char *const *defaults;	/* as_caller inserts: the columns woes gives a default */
	bool		caller_ids;		/* the caller passes every column, id and created_at too */
	const char *sequence;		/* of "id": NULL = its identity sequence */
	int			ncolumns;
	const DirectColumn *columns;
	/* bound per backend */
	bool		valid;
	Oid			relid;
	Oid			seqid;
	AttrNumber	id_attnum;
	AttrNumber	created_attnum;
	AttrNumber	attnums[WOES_DIRECT_MAX_COLUMNS];
	bool		fk_only;		/* no row triggers on INSERT but FK checks to conversations */
	bool		as_designed;	/* INSERT policies and statement triggers are woes's own */
	WoesChecks	checks;			/* the parsed CHECK expressions */
} DirectTable;

static const DirectColumn status_event_columns[] = {
	{"workspace_id", "uuid"}, {"conversation_id", "uuid"}, {"from_status", "status"},
	{"to_status", "status"}, {"actor_kind", "text"}, {"actor_id", "uuid"},
	{"reason", "text"}, {"snoozed_until", "timestamptz"},
};

static const DirectColumn handoff_event_columns[] = {
	{"workspace_id", "uuid"}, {"conversation_id", "uuid"}, {"kind", "text"},
	{"from_control", "control"}, {"to_control", "control"}, {"actor_kind", "text"},
	{"actor_id", "uuid"}, {"operator_id", "uuid"}, {"reason", "text"},
};

static const DirectColumn assignment_columns[] = {
	{"workspace_id", "uuid"}, {"conversation_id", "uuid"}, {"from_assignee_id", "uuid"},
	{"to_assignee_id", "uuid"}, {"from_team_id", "uuid"}, {"to_team_id", "uuid"},
	{"actor_kind", "text"}, {"actor_id", "uuid"}, {"reason", "text"},
};

static const DirectColumn issue_state_event_columns[] = {
	{"workspace_id", "uuid"}, {"issue_id", "uuid"}, {"from_state", "text"}, {"to_state", "text"},
	{"provider_state", "text"}, {"actor_kind", "text"}, {"actor_id", "uuid"},
};

#define WOES_MESSAGE_COL_BINDING(name, column, type) {column, type},
static const DirectColumn message_columns[] = {
	WOES_MESSAGE_COLUMNS(WOES_MESSAGE_COL_BINDING)
};
#undef WOES_MESSAGE_COL_BINDING

static const DirectColumn event_columns[] = {
	{"workspace_id", "uuid"}, {"kind", "text"}, {"conversation_id", "uuid"}, {"payload", "jsonb"},
};

#define lengthof_cols(a) ((int) (sizeof(a) / sizeof((a)[0])))

/* the columns of messages with a default (the intake passes each of them) */
static const char *const message_defaults[] = {
	"workspace_id", "visibility", "attachments", "created_at", NULL
};

static DirectTable tables[] = {
	[WOES_DIRECT_STATUS_EVENTS] = {"status_events", false, NULL, false, NULL, lengthof_cols(status_event_columns), status_event_columns},
	[WOES_DIRECT_HANDOFF_EVENTS] = {"handoff_events", false, NULL, false, NULL, lengthof_cols(handoff_event_columns), handoff_event_columns},
	[WOES_DIRECT_EVENTS] = {"events", false, NULL, false, "events_id_seq", lengthof_cols(event_columns), event_columns},
	[WOES_DIRECT_MESSAGES] = {"messages", true, message_defaults, true, NULL, lengthof_cols(message_columns), message_columns},
	[WOES_DIRECT_ASSIGNMENTS] = {"assignments", false, NULL, false, NULL, lengthof_cols(assignment_columns), assignment_columns},
	[WOES_DIRECT_ISSUE_STATE_EVENTS] = {"issue_state_events", false, NULL, false, NULL, lengthof_cols(issue_state_event_columns), issue_state_event_columns},
};

/* any change to a bound table (or a full reset) unbinds it */
/* is typid the type of this name (pg_type.typname)? */
bool
woes_type_is(Oid typid, const char *typname)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	bool		result;

	if (!HeapTupleIsValid(tup))
		return false;
	result = strcmp(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname), typname) == 0;
	ReleaseSysCache(tup);
	return result;
}

/*
 * bind_columns
 *		Each column the table has, bound by name and checked by type: every
 *		column the caller passes is there, and there is none this version
 *		does not write.
 */
static void
bind_columns(DirectTable *t, TupleDesc tupdesc)
{
	int			covered = 0;
	int			i;

	if (t->ncolumns > WOES_DIRECT_MAX_COLUMNS)
		elog(ERROR, "woes row writer: too many columns for woes.%s", t->relname);
	t->id_attnum = t->created_attnum = InvalidAttrNumber;
	for (i = 0; i < t->ncolumns; i++)
		t->attnums[i] = InvalidAttrNumber;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *name = NameStr(att->attname);
		int			c;

		if (att->attisdropped)
			continue;
		covered++;
		if (!t->caller_ids && strcmp(name, "id") == 0 && att->atttypid == INT8OID)
		{
			t->id_attnum = att->attnum;
			continue;
		}
		if (!t->caller_ids && strcmp(name, "created_at") == 0 && att->atttypid == TIMESTAMPTZOID)
		{
			t->created_attnum = att->attnum;
			continue;
		}
		for (c = 0; c < t->ncolumns; c++)
			if (strcmp(name, t->columns[c].name) == 0)
				break;
		if (c == t->ncolumns || !woes_type_is(att->atttypid, t->columns[c].typname))
			elog(ERROR, "woes.%s has a column \"%s\" this version of woes does not write",
				 t->relname, name);
		t->attnums[c] = att->attnum;
	}
	if (t->caller_ids ? covered != t->ncolumns :
		(covered != t->ncolumns + 2 || t->id_attnum == InvalidAttrNumber ||
		 t->created_attnum == InvalidAttrNumber))
		elog(ERROR, "woes.%s does not have the columns this version of woes writes", t->relname);
	for (i = 0; i < t->ncolumns; i++)
		if (t->attnums[i] == InvalidAttrNumber)
			elog(ERROR, "woes.%s does not have the columns this version of woes writes", t->relname);
}

/*
 * The CHECK constraints of a directly written table.  The executor reads
 * each stored expression from its text form and plans it (constant
 * folding, SQL functions inlined) for every statement; here it is parsed
 * once per binding and planned once, then planned again whenever any
 * function or type changes (checks_generation, bumped by a syscache
 * callback), so a function a CHECK calls is always its current definition.
 * Each write builds its expression states from a copy of the planned tree
 * in its own executor state: nothing it runs points into the cache, which
 * a nested write may plan again.
 */
static uint64 checks_generation = 1;

static void
checks_catalog_changed(Datum arg, int cacheid, uint32 hashvalue)
{
	checks_generation++;
}

/* from _PG_init */
void
woes_checks_init(void)
{
	CacheRegisterSyscacheCallback(PROCOID, checks_catalog_changed, (Datum) 0);
	CacheRegisterSyscacheCallback(TYPEOID, checks_catalog_changed, (Datum) 0);
}

/* the CHECK constraints of tupdesc, parsed; not yet planned */
void
woes_checks_bind(WoesChecks *c, TupleDesc tupdesc)
{
	int			i;

	if (c->cxt == NULL)
		c->cxt = AllocSetContextCreate(CacheMemoryContext, "woes row writer",
									   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(c->cxt);	/* and its child plancxt */
	c->plancxt = NULL;
	c->planned = NULL;
	c->n = 0;
	c->exprs = NULL;
	if (tupdesc->constr && tupdesc->constr->num_check > 0)
	{
		MemoryContext old = MemoryContextSwitchTo(c->cxt);
		int			n = tupdesc->constr->num_check;

		c->exprs = palloc(n * sizeof(Node *));
		for (i = 0; i < n; i++)
			c->exprs[i] = stringToNode(tupdesc->constr->check[i].ccbin);
		c->n = n;
		MemoryContextSwitchTo(old);
	}
}

/* plan the parsed CHECKs again (an error leaves them to be planned) */
static void
plan_checks(WoesChecks *c)
{
	uint64		generation = checks_generation;
	MemoryContext old;
	Expr	  **planned;
	int			i;

	c->planned = NULL;
	if (c->plancxt == NULL)
		c->plancxt = AllocSetContextCreate(c->cxt, "woes row writer, planned checks",
										   ALLOCSET_SMALL_SIZES);
	MemoryContextReset(c->plancxt);
	old = MemoryContextSwitchTo(c->plancxt);
	planned = palloc(c->n * sizeof(Expr *));
	for (i = 0; i < c->n; i++)
		planned[i] = expression_planner((Expr *) copyObject(c->exprs[i]));
	MemoryContextSwitchTo(old);
	c->planned = planned;
	c->planned_generation = generation;
}

/*
 * woes_checks_prepare
 *		What ExecRelCheck builds on first use, from the planned copies, into
 *		the result relation (in the executor state's memory); where it would
 *		build something else (woes_checks_plain), it is left to build it.
 */
void
woes_checks_prepare(WoesChecks *c, ResultRelInfo *rri, EState *estate)
{
	TupleDesc	tupdesc = RelationGetDescr(rri->ri_RelationDesc);
	MemoryContext old;
	int			i;

	if (c->n == 0 || tupdesc->constr == NULL || tupdesc->constr->num_check != c->n ||
		!woes_checks_plain(tupdesc))
		return;
	if (c->planned == NULL || c->planned_generation != checks_generation)
		plan_checks(c);
	old = MemoryContextSwitchTo(estate->es_query_cxt);
	WOES_RRI_CHECK_EXPRS(rri) = palloc(c->n * sizeof(ExprState *));
	for (i = 0; i < c->n; i++)
		WOES_RRI_CHECK_EXPRS(rri)[i] = ExecInitExpr((Expr *) copyObject(c->planned[i]), NULL);
	MemoryContextSwitchTo(old);
}

/*
 * only_fk_checks
 *		Can the foreign-key checks be left out when the caller vouches for
 *		the referenced row?  Only if they are all the table has: any other
 *		row trigger on INSERT (one added by a DBA, say) makes every insert
 *		take the full path.
 */
static bool
only_fk_checks(Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Oid			conversations;
	int			i;

	if (tupdesc->constr && tupdesc->constr->has_generated_stored)
		return false;
	if (rel->trigdesc == NULL)
		return true;
	conversations = get_relname_relid("conversations", RelationGetNamespace(rel));
	for (i = 0; i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *trig = &rel->trigdesc->triggers[i];
		HeapTuple	ctup;
		bool		to_conversations;

		if (!TRIGGER_FOR_INSERT(trig->tgtype) || !TRIGGER_FOR_ROW(trig->tgtype))
			continue;
		if (!trig->tgisinternal || RI_FKey_trigger_type(trig->tgfoid) != RI_TRIGGER_FK)
			return false;
		ctup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(trig->tgconstraint));
		if (!HeapTupleIsValid(ctup))
			return false;
		to_conversations = ((Form_pg_constraint) GETSTRUCT(ctup))->confrelid == conversations;
		ReleaseSysCache(ctup);
		if (!to_conversations)
			return false;
	}
	return true;
}

/*
 * woes_statement_triggers_own
 *		Would a statement of this kind (INSERT or UPDATE) fire nothing but
 *		woes's own statement triggers (and no transition table)?  A
 *		statement trigger is woes's own when its function is a member of the
 *		extension the table belongs to (require_context, the only one woes
 *		puts on its tables): a catalog fact no DBA changes by accident, and
 *		no trigger name to keep in step with the SQL.
 */
bool
woes_statement_triggers_own(Relation rel, CmdType cmd)
{
	Oid			extension = InvalidOid;
	int			i;

	Assert(cmd == CMD_INSERT || cmd == CMD_UPDATE);
	if (rel->trigdesc == NULL)
		return true;
	if (cmd == CMD_INSERT ? rel->trigdesc->trig_insert_new_table :
		(rel->trigdesc->trig_update_old_table || rel->trigdesc->trig_update_new_table))
		return false;
	for (i = 0; i < rel->trigdesc->numtriggers; i++)
	{
		Trigger    *trig = &rel->trigdesc->triggers[i];

		if (TRIGGER_FOR_ROW(trig->tgtype) ||
			!(cmd == CMD_INSERT ? TRIGGER_FOR_INSERT(trig->tgtype) : TRIGGER_FOR_UPDATE(trig->tgtype)))
			continue;
		if (!OidIsValid(extension))
			extension = getExtensionOfObject(RelationRelationId, RelationGetRelid(rel));
		if (!OidIsValid(extension) ||
			getExtensionOfObject(ProcedureRelationId, trig->tgfoid) != extension)
			return false;
	}
	return true;
}

/*
 * caller_insert_as_designed
 *		as_caller inserts: no rule, no column default but the ones woes sets
 *		(the caller passes those columns), and every policy that can judge an
 *		INSERT ... RETURNING is woes's own.
 */
static bool
caller_insert_as_designed(DirectTable *t, Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	if (rel->rd_rules)
		return false;
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		const char *const *known;

		if (att->attisdropped || !att->atthasdef)
			continue;
		for (known = t->defaults; *known; known++)
			if (strcmp(*known, NameStr(att->attname)) == 0)
				break;
		if (*known == NULL)
			return false;
	}
	return woes_policies_own(rel, (char[]) {ACL_INSERT_CHR, ACL_SELECT_CHR, '\0'});
}

/* the sequence "id" is drawn from */
static void
bind_sequence(DirectTable *t, Relation rel)
{
	if (t->caller_ids)
		t->seqid = InvalidOid;
	else if (t->sequence)
	{
		t->seqid = get_relname_relid(t->sequence, RelationGetNamespace(rel));
		if (!OidIsValid(t->seqid))
			elog(ERROR, "sequence woes.%s is missing", t->sequence);
	}
	else
	{
		/*
		 * the table's own: a Citus shard has none, its rows draw from the
		 * logical table's (which Citus gives each node a range of)
		 */
		Oid			logical = get_relname_relid(t->relname, RelationGetNamespace(rel));
		Relation	table = logical == RelationGetRelid(rel) ? rel :
			table_open(logical, AccessShareLock);

		t->seqid = woes_identity_sequence(table, t->id_attnum);
		if (table != rel)
			table_close(table, NoLock);
	}
}

static void
bind_table(DirectTable *t, Relation rel)
{
	bind_columns(t, RelationGetDescr(rel));
	woes_checks_bind(&t->checks, RelationGetDescr(rel));
	t->fk_only = only_fk_checks(rel);
	t->as_designed = woes_statement_triggers_own(rel, CMD_INSERT) &&
		(!t->for_caller || caller_insert_as_designed(t, rel));
	bind_sequence(t, rel);
}

/*
 * Every binding woes_open_bound has made in this backend -- the direct
 * writer's tables, rowupdate.c's kinds, probe.c's probes -- for the one
 * relcache callback: its valid flag, the relation it is bound to and one
 * more it depends on (a table's sequence, a probe's or an update's index;
 * NULL: none).
 */
typedef struct BoundEntry
{
	bool	   *valid;
	const Oid  *relid;
	const Oid  *also;
} BoundEntry;

#define MAX_BOUND 32
static BoundEntry bound[MAX_BOUND];
static int	nbound = 0;

/* a relation changed (woes_relcache_callback, woes.c): forget what is bound to it */
void
woes_bound_forget(Oid relid)
{
	int			i;

	for (i = 0; i < nbound; i++)
		if (!OidIsValid(relid) || *bound[i].relid == relid ||
			(bound[i].also != NULL && *bound[i].also == relid))
			*bound[i].valid = false;
}

/* a binding is made: remember it, once */
static void
bound_register(bool *valid, const Oid *relid, const Oid *also)
{
	int			i;

	for (i = 0; i < nbound; i++)
		if (bound[i].valid == valid)
			return;
	if (nbound == MAX_BOUND)
		elog(ERROR, "too many woes bindings");
	bound[nbound].valid = valid;
	bound[nbound].relid = relid;
	bound[nbound].also = also;
	nbound++;
}

/*
 * woes_open_bound
 *		Open a table of schema woes by name (it may have been re-created) --
 *		on a Citus node the shard that holds workspace's rows of it, see
 *		shards.c -- under lockmode, then bind it -- bind(rel, arg) -- unless it is bound
 *		already.  The lock is what delivers a concurrent change's
 *		invalidation, so the binding is checked after it, never before; the
 *		relcache callback unsets *valid on a change of the relation or of
 *		also (woes_bound_forget).  The lock is
 *		kept to the end of the transaction, as a statement keeps it.
 */
Relation
woes_open_bound(const char *relname, const pg_uuid_t *workspace, LOCKMODE lockmode,
				bool *valid, Oid *relid, const Oid *also,
				void (*bind) (Relation rel, void *arg), void *arg)
{
	Oid			found = woes_local_table(relname, workspace);
	Relation	rel;

	if (!OidIsValid(found))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_SCALE_OUT),
				 errmsg("the rows of woes.%s of this workspace are on another node", relname),
				 errdetail("woes writes and probes them directly only where they are stored.")));
	rel = try_table_open(found, lockmode);
	if (rel == NULL)
	{
		/*
		 * a Citus shard moved away since it was looked up: the lock took in
		 * the invalidation, which emptied the cache; look again
		 */
		found = woes_local_table(relname, workspace);
		if (!OidIsValid(found))
			ereport(ERROR,
					(errcode(ERRCODE_WOES_SCALE_OUT),
					 errmsg("the rows of woes.%s of this workspace are on another node", relname)));
		rel = table_open(found, lockmode);
	}
	if (!*valid || *relid != found)
	{
		/*
		 * valid first: an invalidation arriving while binding unsets it; a
		 * binding that fails part-way is never used
		 */
		bound_register(valid, relid, also);
		*valid = true;
		*relid = found;
		PG_TRY();
		{
			bind(rel, arg);
		}
		PG_CATCH();
		{
			*valid = false;
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return rel;
}

static void
bind_direct(Relation rel, void *arg)
{
	bind_table((DirectTable *) arg, rel);
}

/* the table, under the lock the insert needs, bound */
static Relation
open_direct(DirectTable *t, const pg_uuid_t *workspace)
{
	return woes_open_bound(t->relname, workspace, RowExclusiveLock, &t->valid, &t->relid, &t->seqid,
						   bind_direct, t);
}

/*
 * woes_insert_direct
 *		Insert one row into a woes history/outbox table.  values/nulls are in
 *		the table's DirectColumn order; id comes from the table's sequence
 *		and created_at is now().  Returns the id.
 *
 *		parent_locked: the caller is the trigger of the row this one refers
 *		to, which it holds locked (an UPDATE of it is under way), so the
 *		foreign-key check could not fail and is left out.  A creation event
 *		is written before its conversation row exists, so it passes false
 *		and the deferred check runs at commit.
 */
int64
woes_insert_direct(WoesDirectTable which, const Datum *values, const bool *nulls,
				   bool parent_locked)
{
	return woes_insert_direct_ex(which, values, nulls, parent_locked, false, NULL, NULL, NULL);
}

/*
 * direct_for_caller
 *		A row written for the caller, in place of its INSERT statement:
 *		only where that statement could add nothing -- the caller may
 *		insert, row-level security is on for it, every policy and
 *		statement trigger on INSERT is woes's own (which the caller's
 *		checks and the row triggers already stand for), and no module
 *		watches the executor's permission checks or adds policies
 *		(woes_permissions_hooked).
 *		Otherwise the caller runs the statement.
 */
static bool
direct_for_caller(const DirectTable *t)
{
	return t->as_designed && row_security && !woes_permissions_hooked() &&
		pg_class_aclcheck(t->relid, GetUserId(), ACL_INSERT) == ACLCHECK_OK;
}

/* the executor state of one single-row insert */
typedef struct DirectInsert
{
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
} DirectInsert;

/*
 * woes_direct_begin
 *		The executor state of one row written directly to rel, as its
 *		statement would build it: the range table (updated: the columns an
 *		UPDATE sets, which decide the UPDATE OF triggers; NULL for an
 *		insert), the result relation with its indexes and CHECK constraints
 *		(checks, prepared from the binding's copies).  In the executor
 *		state's memory, which is current.  woes_direct_end undoes it.
 */
ResultRelInfo *
woes_direct_begin(EState *estate, Relation rel, WoesChecks *checks, Bitmapset *updated)
{
	RangeTblEntry *rte = makeNode(RangeTblEntry);
	ResultRelInfo *rri = makeNode(ResultRelInfo);

	rte->rtekind = RTE_RELATION;
	rte->relid = RelationGetRelid(rel);
	rte->relkind = rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	woes_init_range_table(estate, rte, updated);

	InitResultRelInfo(rri, rel, 1, NULL, 0);
	estate->es_opened_result_relations = list_make1(rri);
	estate->es_output_cid = GetCurrentCommandId(true);
	ExecOpenIndices(rri, false);
	woes_checks_prepare(checks, rri, estate);
	return rri;
}

/* the indexes closed and the slots released; the caller frees the state */
void
woes_direct_end(EState *estate, ResultRelInfo *rri)
{
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
}

/* the columns attnums[0..n-1] of the row in slot, copied into memory cxt */
void
woes_copy_columns(TupleTableSlot *slot, const AttrNumber *attnums, int n, MemoryContext cxt,
				  Datum *values, bool *nulls)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int			i;

	slot_getallattrs(slot);
	for (i = 0; i < n; i++)
	{
		Form_pg_attribute att = TupleDescAttr(slot->tts_tupleDescriptor, attnums[i] - 1);

		nulls[i] = slot->tts_isnull[attnums[i] - 1];
		values[i] = nulls[i] ? (Datum) 0 :
			datumCopy(slot->tts_values[attnums[i] - 1], att->attbyval, att->attlen);
	}
	MemoryContextSwitchTo(old);
}

/* the caller's values, in the DirectColumn order; id and created_at */
static void
fill_slot(const DirectTable *t, TupleTableSlot *slot, const Datum *values, const bool *nulls, int64 id)
{
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = (Datum) 0;
		slot->tts_isnull[i] = true;
	}
	for (i = 0; i < t->ncolumns; i++)
	{
		slot->tts_values[t->attnums[i] - 1] = values[i];
		slot->tts_isnull[t->attnums[i] - 1] = nulls[i];
	}
	if (!t->caller_ids)
	{
		slot->tts_values[t->id_attnum - 1] = Int64GetDatum(id);
		slot->tts_isnull[t->id_attnum - 1] = false;
		slot->tts_values[t->created_attnum - 1] = TimestampTzGetDatum(woes_event_time());
		slot->tts_isnull[t->created_attnum - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
}

/* the insert, with or without the row triggers (see woes_insert_direct) */
static void
insert_row(const DirectTable *t, Relation rel, DirectInsert *ins, bool parent_locked)
{
	if (parent_locked && t->fk_only)
	{
		/* ExecSimpleRelationInsert without the row triggers: see above */
		List	   *recheck = NIL;

		if (rel->rd_att->constr)
			ExecConstraints(ins->rri, ins->slot, ins->estate);
		simple_table_tuple_insert(rel, ins->slot);
		if (ins->rri->ri_NumIndices > 0)
			recheck = woes_insert_index_tuples(ins->rri, ins->slot, ins->estate);
		list_free(recheck);
	}
	else
	{
		/* row triggers (the foreign-key checks) queue and fire as in a statement */
		AfterTriggerBeginQuery();
		ExecSimpleRelationInsert(ins->rri, ins->estate, ins->slot);
		AfterTriggerEndQuery(ins->estate);
	}

	/* a row woes must write is never silently dropped by a BEFORE trigger */
	if (!ItemPointerIsValid(&ins->slot->tts_tid))
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("a trigger on woes.%s skipped a row woes writes", t->relname)));
}

/*
 * woes_insert_direct_ex
 *		The same; and, if final_values is given, the row as stored (after
 *		BEFORE triggers changed it), in the DirectColumn order, copied into
 *		the caller's memory context.
 *
 *		as_caller: a row the caller could have written with an INSERT
 *		statement (see direct_for_caller); *stored says whether it was
 *		written here.
 */
int64
woes_insert_direct_ex(WoesDirectTable which, const Datum *values, const bool *nulls,
					  bool parent_locked, bool as_caller, bool *stored,
					  Datum *final_values, bool *final_nulls)
{
	DirectTable *t = &tables[which];
	Relation	rel;
	DirectInsert ins;
	MemoryContext oldcxt;
	int64		id;

	/* every table written here has workspace_id first */
	Assert(strcmp(t->columns[0].name, "workspace_id") == 0 && !nulls[0]);
	rel = open_direct(t, DatumGetUUIDP(values[0]));
	if (as_caller && !direct_for_caller(t))
	{
		table_close(rel, NoLock);
		if (stored)
			*stored = false;
		return 0;
	}
	id = t->caller_ids ? 0 : nextval_internal(t->seqid, false);

	ins.estate = CreateExecutorState();
	oldcxt = MemoryContextSwitchTo(ins.estate->es_query_cxt);
	ins.rri = woes_direct_begin(ins.estate, rel, &t->checks, NULL);
	ins.slot = ExecInitExtraTupleSlot(ins.estate, RelationGetDescr(rel), &TTSOpsVirtual);
	fill_slot(t, ins.slot, values, nulls, id);
	insert_row(t, rel, &ins, parent_locked);
	if (stored)
		*stored = true;
	if (final_values)
		woes_copy_columns(ins.slot, t->attnums, t->ncolumns, oldcxt, final_values, final_nulls);

	woes_direct_end(ins.estate, ins.rri);
	MemoryContextSwitchTo(oldcxt);
	FreeExecutorState(ins.estate);
	table_close(rel, NoLock);
	return id;
}

/*-------------------------------------------------------------------------
 *
 * shards.c
 *		Where a workspace's rows live.  On one server: in the woes tables.
 *		On a Citus cluster the woes tables are shells -- Citus plans a
 *		statement on one into statements on its shards -- and the rows of a
 *		workspace are in the shard placements of one node (those of
 *		channels and workspaces, reference tables, on every node).
 *
 * The C paths that bypass the planner (the direct writer, the intake's
 * index probes, the context check) must never touch a shell: a row
 * written there is a row Citus never reads, and a probe of one finds
 * nothing.  So they ask woes_local_table() for the relation that holds a
 * workspace's rows of a table on this node: the table itself on one
 * server, the local shard on a Citus node, or nothing when the rows are on
 * another node (then only a statement through Citus can reach them, and
 * only where Citus allows one: not from inside a statement on a shard).
 *
 * Both answers are cached per backend and forgotten on any relcache
 * invalidation: distributing a table, moving or splitting a shard drops or
 * changes relations, which invalidates them.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "errcodes.h"
#include "ids.h"
#include "scope.h"
#include "shards.h"

static bool node_known = false;
static WoesNode node_kind = WOES_NODE_SINGLE;

typedef struct ShardKey
{
	Oid			table;
	pg_uuid_t	workspace;
} ShardKey;

typedef struct ShardEntry
{
	ShardKey	key;
	Oid			local;			/* InvalidOid: on another node */
} ShardEntry;

static HTAB *shard_map = NULL;

/* a cache, not a registry: bounded, refilled on demand */
#define SHARD_MAP_MAX 4096

/* a relation changed (woes_relcache_callback, woes.c): forget the shard map */
void
woes_shards_forget(Oid relid)
{
	node_known = false;
	if (shard_map != NULL && hash_get_num_entries(shard_map) > 0)
	{
		hash_destroy(shard_map);
		shard_map = NULL;
	}
}


/* one value of a catalog query run as woes's owner, with a pinned search_path */
static Datum
catalog_value(const char *query, int nargs, Oid *types, Datum *values, bool *isnull)
{
	WoesOwnerScope scope;
	Datum		result = (Datum) 0;
	int			ret;

	*isnull = true;
	woes_owner_begin(&scope, InvalidOid);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args(query, nargs, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "a catalog query failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
		result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
	SPI_finish();
	woes_owner_end(&scope);
	return result;				/* by value: an int8 or an int4 */
}

/*
 * woes_node
 *		What this node is to woes: a single server (also: Citus is
 *		installed but woes.distribute() has not run), the coordinator (group
 *		0) or a worker.
 */
WoesNode
woes_node(void)
{
	Oid			conversations;
	Oid			types[1] = {OIDOID};
	Datum		values[1];
	bool		isnull;
	Datum		group;

	if (node_known)
		return node_kind;
	node_kind = WOES_NODE_SINGLE;
	conversations = get_relname_relid("conversations", get_namespace_oid("woes", false));
	if (OidIsValid(get_relname_relid("pg_dist_partition", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(get_relname_relid("pg_dist_local_group", PG_CATALOG_NAMESPACE)) &&
		OidIsValid(conversations))
	{
		values[0] = ObjectIdGetDatum(conversations);
		group = catalog_value("SELECT g.groupid FROM pg_catalog.pg_dist_local_group g"
							  " WHERE EXISTS (SELECT FROM pg_catalog.pg_dist_partition p"
							  "                WHERE p.logicalrelid OPERATOR(pg_catalog.=) $1)",
							  1, types, values, &isnull);
		if (!isnull)
			node_kind = DatumGetInt32(group) == 0 ? WOES_NODE_COORDINATOR : WOES_NODE_WORKER;
	}
	node_known = true;
	return node_kind;
}

/*
 * woes_local_table
 *		The relation on this node that holds the rows of woes.relname of
 *		workspace (NULL: a global table): the table on one server; on a
 *		Citus node the shard placement, if it is here; else InvalidOid.
 */
Oid
woes_local_table(const char *relname, const pg_uuid_t *workspace)
{
	Oid			nsp = get_namespace_oid("woes", false);
	Oid			table = get_relname_relid(relname, nsp);
	ShardKey	key;
	ShardEntry *entry;
	bool		found;
	Oid			types[2] = {OIDOID, UUIDOID};
	Datum		values[2];
	bool		isnull;
	Datum		shardid;
	char		shard_name[NAMEDATALEN];
	Oid			local;

	if (!OidIsValid(table))
		elog(ERROR, "table woes.%s is missing", relname);
	if (woes_node() == WOES_NODE_SINGLE)
		return table;

	memset(&key, 0, sizeof(key));
	key.table = table;
	if (workspace)
		key.workspace = *workspace;
	if (shard_map != NULL)
	{
		entry = hash_search(shard_map, &key, HASH_FIND, &found);
		if (found)
			return entry->local;
	}

	/* a reference table has one shard; any value finds it */
	values[0] = ObjectIdGetDatum(table);
	values[1] = UUIDPGetDatum(&key.workspace);
	shardid = catalog_value("SELECT pg_catalog.get_shard_id_for_distribution_column($1::pg_catalog.regclass, $2)",
							2, types, values, &isnull);
	if (isnull)
		elog(ERROR, "woes.%s has no shard for workspace %s", relname,
			 woes_uuid_text(&key.workspace));
	snprintf(shard_name, sizeof(shard_name), "%s_" INT64_FORMAT, relname, DatumGetInt64(shardid));
	local = get_relname_relid(shard_name, nsp);

	/*
	 * Cached only now: the query above may have processed invalidations,
	 * whose callback drops the map
	 */
	if (shard_map != NULL && hash_get_num_entries(shard_map) >= SHARD_MAP_MAX)
	{
		hash_destroy(shard_map);
		shard_map = NULL;
	}
	if (shard_map == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(ShardKey);
		ctl.entrysize = sizeof(ShardEntry);
		ctl.hcxt = TopMemoryContext;
		shard_map = hash_create("woes shards", 256, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(shard_map, &key, HASH_ENTER, &found);
	entry->local = local;
	return local;
}

/*
 * woes_table_name
 *		The name of the woes table rel holds rows of, for messages: rel's
 *		own name, but on a Citus node a shard placement ("messages_102375")
 *		is named by its table ("messages"), so that an error reads the same
 *		on every node.
 */
const char *
woes_table_name(Relation rel)
{
	const char *name = RelationGetRelationName(rel);
	const char *suffix = strrchr(name, '_');
	const char *c;
	char	   *table;

	if (woes_node() == WOES_NODE_SINGLE || suffix == NULL || suffix[1] == '\0')
		return name;
	for (c = suffix + 1; *c; c++)
		if (*c < '0' || *c > '9')
			return name;
	table = pnstrdup(name, suffix - name);
	if (!OidIsValid(get_relname_relid(table, RelationGetNamespace(rel))))
		return name;
	return table;
}

/*
 * woes_forward_call
 *		Run an API call on the node of its workspace.  On the coordinator
 *		the woes tables are shells, and a C API function's direct paths
 *		cannot reach the rows; so the call is made again with its last
 *		argument, workspace, as a constant:
 *
 *			SELECT * FROM woes.fn($1, ..., $n)
 *
 *		woes.distribute() declared fn a Citus distributed function by that
 *		argument (force_delegation), so Citus runs the whole call on the
 *		tenant's worker, in this transaction, where every row it touches is
 *		local: one round trip.  (A caller that names the workspace as a
 *		constant has Citus do that at once.  Its default is the context's
 *		workspace, an expression, not a constant: a NULL constant would
 *		crash Citus 12.1's delegation.)
 *
 *		Returns false (nothing done) anywhere but on the coordinator, and
 *		without a context (workspace NULL; the caller's own checks refuse
 *		it, or it needs none).  The argument must be the context's
 *		workspace.  The result, a scalar, is copied to the caller's memory.
 */
static bool forwarding = false;

bool
woes_forward_call(FunctionCallInfo fcinfo, const pg_uuid_t *workspace, Datum *result, bool *isnull)
{
	int			nargs = PG_NARGS();
	Oid			fn = fcinfo->flinfo->fn_oid;
	HeapTuple	proc;
	Form_pg_proc form;
	StringInfoData sql;
	Oid		   *types;
	Datum	   *values;
	char	   *nulls;
	Oid			rettype;
	int16		typlen;
	bool		typbyval;
	int			ret;
	int			i;

	/*
	 * an older version's SQL declaration (before the upgrade script ran)
	 * has no workspace argument: its last one is something else
	 */
	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fn);
	form = (Form_pg_proc) GETSTRUCT(proc);
	if (nargs < 1 || form->pronargs != nargs || form->proargtypes.values[nargs - 1] != UUIDOID)
	{
		ReleaseSysCache(proc);
		return false;
	}
	ReleaseSysCache(proc);

	/* the argument is the context's workspace, or both are unset */
	if (PG_ARGISNULL(nargs - 1) != (workspace == NULL) ||
		(workspace != NULL && !woes_uuid_equal(PG_GETARG_UUID_P(nargs - 1), workspace)))
		ereport(ERROR,
				(errcode(ERRCODE_WOES_WRONG_WORKSPACE),
				 errmsg("workspace is not the workspace of the context"),
				 errhint("Leave workspace out, or pass the context's.")));
	/* only the coordinator forwards, and only a call of a workspace */
	if (woes_node() != WOES_NODE_COORDINATOR || workspace == NULL)
		return false;
	/* (looked up again only here: the single-node path stops above) */
	if (forwarding)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_SCALE_OUT),
				 errmsg("%s could not be run on the node of the workspace", get_func_name(fn)),
				 errdetail("Citus did not delegate the call to the worker."),
				 errhint("Run woes.distribute() on the coordinator.")));

	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fn);
	form = (Form_pg_proc) GETSTRUCT(proc);
	rettype = form->prorettype;
	types = palloc(nargs * sizeof(Oid));
	values = palloc(nargs * sizeof(Datum));
	nulls = palloc(nargs + 1);
	initStringInfo(&sql);
	/* FROM: a simple expression is not delegated from inside a function */
	appendStringInfo(&sql, "SELECT * FROM %s.%s(",
					 quote_identifier(get_namespace_name(form->pronamespace)),
					 quote_identifier(NameStr(form->proname)));
	for (i = 0; i < nargs; i++)
	{
		types[i] = form->proargtypes.values[i];
		values[i] = PG_GETARG_DATUM(i);
		nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
		appendStringInfo(&sql, "%s$%d", i > 0 ? ", " : "", i + 1);
	}
	nulls[nargs] = '\0';
	appendStringInfoChar(&sql, ')');
	ReleaseSysCache(proc);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* one-shot: the arguments are planned as constants, which Citus routes by */
	forwarding = true;
	PG_TRY();
	{
		ret = SPI_execute_with_args(sql.data, nargs, types, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		forwarding = false;
	}
	PG_END_TRY();
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "forwarding %s failed: %s", get_func_name(fn), SPI_result_code_string(ret));
	*isnull = true;
	*result = (Datum) 0;
	if (SPI_processed == 1 && rettype != VOIDOID)
	{
		get_typlenbyval(rettype, &typlen, &typbyval);
		*result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
		if (!*isnull)
			*result = SPI_datumTransfer(*result, typbyval, typlen);
	}
	SPI_finish();
	return true;
}

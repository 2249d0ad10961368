/*-------------------------------------------------------------------------
 *
 * shards.h
 *		Where a workspace's rows live: the woes tables on one server, the
 *		shard placements of the tenant's node on a Citus cluster.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_SHARDS_H
#define WOES_SHARDS_H

#include "fmgr.h"
#include "utils/rel.h"
#include "utils/uuid.h"

typedef enum WoesNode
{
	WOES_NODE_SINGLE,			/* the woes tables hold the rows */
	WOES_NODE_COORDINATOR,		/* they are Citus shells; Citus plans statements on them */
	WOES_NODE_WORKER			/* shells too; this node holds some tenants' shards */
} WoesNode;

extern void woes_shards_forget(Oid relid);
extern WoesNode woes_node(void);
extern Oid	woes_local_table(const char *relname, const pg_uuid_t *workspace);
extern const char *woes_table_name(Relation rel);
extern bool woes_forward_call(FunctionCallInfo fcinfo, const pg_uuid_t *workspace, Datum *result,
							  bool *isnull);

#endif							/* WOES_SHARDS_H */

/*-------------------------------------------------------------------------
 *
 * probe.h
 *		A row of a woes table looked up by the keys of a unique index, with a
 *		btree probe instead of a query run through SPI (see probe.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_PROBE_H
#define WOES_PROBE_H

#include "access/tupdesc.h"
#include "utils/snapshot.h"
#include "utils/tuplestore.h"

#define WOES_PROBE_MAX_COLUMNS 7

/* one kind of lookup: static, bound per backend */
typedef struct WoesProbe
{
	const char *table;			/* of schema woes */
	const char *columns[WOES_PROBE_MAX_COLUMNS + 1];	/* the index's key columns */
	int			nkeys;			/* the leading ones a probe binds */
	const char *fetch[2];		/* columns returned (NULL: none) */
	/* bound per backend (probe.c) */
	bool		valid;
	Oid			relid;
	Oid			indexid;
	AttrNumber	fetch_att[2];
	bool		own_read_policies;	/* every policy judging a SELECT is woes's own */
	struct _SPI_plan *sql_plan; /* the query it stands for, kept once needed */
} WoesProbe;

typedef enum WoesProbeResult
{
	WOES_PROBE_NONE,			/* no row */
	WOES_PROBE_FOUND,
	WOES_PROBE_USE_SQL			/* the caller's query could answer otherwise */
} WoesProbeResult;

extern bool woes_probe(WoesProbe *p, const Datum *keys, Snapshot snap,
					   Datum *out, bool *out_null);
extern WoesProbeResult woes_probe_as_caller(WoesProbe *p, const Datum *keys, Snapshot snap,
											bool policies_vouched);
extern bool woes_probe_range_as_caller(WoesProbe *p, Datum key, int64 after, int64 before,
									   int64 max, Snapshot snap, bool policies_vouched,
									   Tuplestorestate *out, TupleDesc out_desc);

#endif							/* WOES_PROBE_H */

/*-------------------------------------------------------------------------
 *
 * rowupdate.h
 *		One row of a woes table updated by its key through the executor's
 *		single-row update, not through an SQL statement, where the statement
 *		could do nothing more (see rowupdate.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_ROWUPDATE_H
#define WOES_ROWUPDATE_H

#include "utils/uuid.h"

#include "rowwriter.h"

/* a column the caller reads or sets, by name and pg_type.typname */
typedef struct WoesUpdateColumn
{
	const char *name;
	const char *typname;
} WoesUpdateColumn;

/*
 * The new values of the first nset columns, from the row's current ones
 * (all ncolumns, in the caller's order); false: the row is left as it is,
 * as by an UPDATE whose WHERE clause it fails.
 */
typedef bool (*WoesUpdateCompute) (const Datum *old, const bool *oldnull,
								   Datum *values, bool *nulls, void *arg);

/* one kind of update: static, bound per backend */
typedef struct WoesRowUpdate
{
	const char *relname;		/* of schema woes; keyed (workspace_id, id) */
	int			ncolumns;
	int			nset;			/* the first nset columns are the UPDATE's SET list */
	const WoesUpdateColumn *columns;
	WoesUpdateCompute compute;
	/* bound per backend (rowupdate.c) */
	bool		valid;
	Oid			relid;
	Oid			pkindex;
	AttrNumber	key_attnums[2];	/* workspace_id, id */
	bool		as_designed;
	bool		own_policies;	/* every policy judging UPDATE or SELECT is woes's */
	AttrNumber	attnums[WOES_DIRECT_MAX_COLUMNS];
	WoesChecks	checks;
} WoesRowUpdate;

typedef enum WoesUpdateResult
{
	WOES_UPDATE_DONE,			/* updated; the final row's columns returned */
	WOES_UPDATE_NONE,			/* no such row (*found false), or compute or a
								 * BEFORE trigger said no */
	WOES_UPDATE_USE_SQL			/* nothing done: run the SQL statement instead */
} WoesUpdateResult;

extern WoesUpdateResult woes_update_direct(WoesRowUpdate *u, const pg_uuid_t *workspace, Datum id,
										   bool policies_vouched, void *arg, MemoryContext cxt,
										   Datum *final_values, bool *final_nulls, bool *found);

#endif							/* WOES_ROWUPDATE_H */

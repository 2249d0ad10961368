/*-------------------------------------------------------------------------
 *
 * scope.h
 *		The scopes woes runs its own SQL in: as the owner of its tables or
 *		as the caller, always with a pinned search_path and with
 *		row_security on; kept plans parsed the same way; the checks every
 *		trigger function makes of how it was fired.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_SCOPE_H
#define WOES_SCOPE_H

#include "executor/spi.h"
#include "access/tupdesc.h"
#include "fmgr.h"

#define WOES_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

typedef struct WoesOwnerScope
{
	bool		nested;			/* an outer scope already did it all */
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
} WoesOwnerScope;

extern void woes_pin_row_security(void);
extern int	woes_pin_rules_begin(void);
extern void woes_pin_rules_end(int nestlevel);
extern int	woes_api_begin(bool reason_given, const char *reason);
extern void woes_api_end(int nestlevel);
extern void woes_owner_begin(WoesOwnerScope *scope, Oid owner);
extern void woes_owner_end(WoesOwnerScope *scope);
extern Oid	woes_function_owner(Oid fn);

extern SPIPlanPtr woes_prepare_kept(const char *query, int nargs, Oid *types);

/* the events a woes trigger function is fired by (always BEFORE); none: any */
#define WOES_FIRED_BY_INSERT	0x01
#define WOES_FIRED_BY_UPDATE	0x02
#define WOES_FIRED_BY_DELETE	0x04

extern void woes_check_trigger(FunctionCallInfo fcinfo, const char *name, bool for_row, int events);
extern Datum woes_trigger_as_owner(FunctionCallInfo fcinfo, const char *name, int events,
								   Datum (*body) (FunctionCallInfo));
extern int	woes_trigger_attnum(TupleDesc tupdesc, const char *name);

#endif							/* WOES_SCOPE_H */

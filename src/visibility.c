/*-------------------------------------------------------------------------
 *
 * visibility.c
 *		Who may see a message: the audience matrix as one predicate.
 *
 *		audience   public  internal (note)  debug (trace)
 *		customer   yes     never            never
 *		agent      yes     own only         own only
 *		operator   yes     yes              yes
 *		admin      yes     yes              yes
 *		analyst    no      no               no   (no bodies at all)
 *
 * The predicate is LEAKPROOF (it never fails and reveals nothing but its
 * result), so it can sit in row-level security policies and security
 * barrier views without keeping the planner from using indexes.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "enums.h"
#include "visibility.h"

PG_FUNCTION_INFO_V1(woes_can_see);

/*
 * woes_audience_can_see
 *		The matrix above; unknown values see nothing.
 */
bool
woes_audience_can_see(int audience, int visibility, bool own)
{
	switch (audience)
	{
		case WOES_AUDIENCE_CUSTOMER:
			return visibility == WOES_VISIBILITY_PUBLIC;
		case WOES_AUDIENCE_AGENT:
			return visibility == WOES_VISIBILITY_PUBLIC ||
				((visibility == WOES_VISIBILITY_INTERNAL ||
				  visibility == WOES_VISIBILITY_DEBUG) && own);
		case WOES_AUDIENCE_OPERATOR:
		case WOES_AUDIENCE_ADMIN:
			return visibility == WOES_VISIBILITY_PUBLIC ||
				visibility == WOES_VISIBILITY_INTERNAL ||
				visibility == WOES_VISIBILITY_DEBUG;
		default:
			return false;
	}
}

/*
 * can_see(audience woes.audience, visibility woes.visibility,
 *		   own boolean DEFAULT false) returns boolean
 *
 * Not STRICT: no audience (no context) or no visibility sees nothing, and
 * an unknown "own" (no actor) is not own.  Always true or false.
 */
Datum
woes_can_see(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_BOOL(false);
	PG_RETURN_BOOL(woes_audience_can_see((uint8) PG_GETARG_CHAR(0),
										 (uint8) PG_GETARG_CHAR(1),
										 !PG_ARGISNULL(2) && PG_GETARG_BOOL(2)));
}

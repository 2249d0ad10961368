/*-------------------------------------------------------------------------
 *
 * plans.h
 *		Cached plans made again when the context moves to a workspace of
 *		another size (plans.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_PLANS_H
#define WOES_PLANS_H

#include "utils/uuid.h"

extern void woes_plans_init(void);
extern void woes_plans_workspace_set(const pg_uuid_t *workspace);
extern void woes_plans_forget(Oid relid);

#endif							/* WOES_PLANS_H */

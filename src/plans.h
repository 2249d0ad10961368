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
extern int	woes_plans_size_class(const pg_uuid_t *workspace);
extern void woes_plans_class_set(bool has_workspace, int size_class);
extern void woes_plans_forget(Oid relid);

#endif							/* WOES_PLANS_H */

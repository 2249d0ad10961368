/*-------------------------------------------------------------------------
 *
 * context.h
 *		The woes context (workspace, audience, actor of the transaction),
 *		its checks, and whether a restore is loading rows.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_CONTEXT_H
#define WOES_CONTEXT_H

#include "utils/uuid.h"

extern void woes_context_init(void);

/* the context; NULL / WOES_AUDIENCE_NONE when not set */
extern const pg_uuid_t *woes_context_workspace(void);
extern const pg_uuid_t *woes_context_actor(void);
extern int	woes_context_audience(void);
extern const char *woes_context_reason(void);

/* WO001 without a context (and the context's check before its first write) */
extern void woes_require_context(void);
/* WO001, or WO003 unless the audience is in mask (WOES_AUDIENCE_BIT) */
extern void woes_require_audience(uint32 mask, const char *action);
/* WO001, or WO002 unless a row's workspace (NULL: none) is the context's */
extern void woes_require_in_workspace(const pg_uuid_t *workspace);

/* who the context says is acting, as histories record it (kind, id or NULL) */
extern const char *woes_context_actor_kind(void);
extern const pg_uuid_t *woes_context_recorded_actor(void);

extern bool woes_restoring(void);

/*
 * the context's check (context_check.c): ERROR (WO004) unless valid; false
 * when it must be left to a node that holds the workspace's rows (Citus)
 */
extern bool woes_check_context_values(const pg_uuid_t *workspace, int audience, const pg_uuid_t *actor,
									  bool in_force);

#endif							/* WOES_CONTEXT_H */

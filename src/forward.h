/*-------------------------------------------------------------------------
 *
 * forward.h
 *		The context on a Citus cluster's workers (see forward.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_FORWARD_H
#define WOES_FORWARD_H

extern void woes_forward_init(void);
extern void woes_forward_context_changed(void);
extern void woes_forward_set_local(const char *name, const char *value);

#endif							/* WOES_FORWARD_H */

/*-------------------------------------------------------------------------
 *
 * lifecycle.h
 *		The conversation lifecycle: which status changes are legal.  Its
 *		hook of the conversation trigger is declared in conversations.h.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_LIFECYCLE_H
#define WOES_LIFECYCLE_H

/* the lifecycle table: no catalog access, no allocation */
extern bool woes_status_can_transition(int from, int to);

#endif							/* WOES_LIFECYCLE_H */

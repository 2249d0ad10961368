/*-------------------------------------------------------------------------
 *
 * session.h
 *		Contexts that would outlast their transaction: refused or discarded.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_SESSION_H
#define WOES_SESSION_H

/* after the context's settings are defined */
extern void woes_session_init(void);
extern bool woes_session_context_allowed(void);

/* true until the current transaction's inherited context was judged */
extern bool woes_session_unchecked;
extern void woes_session_check_inherited(void);

#endif							/* WOES_SESSION_H */

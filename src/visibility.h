/*-------------------------------------------------------------------------
 *
 * visibility.h
 *		Who may read a message of which visibility.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_VISIBILITY_H
#define WOES_VISIBILITY_H

extern bool woes_audience_can_see(int audience, int visibility, bool own);

#endif							/* WOES_VISIBILITY_H */

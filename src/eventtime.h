/*-------------------------------------------------------------------------
 *
 * eventtime.h
 *		The time of the change being written (eventtime.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_EVENTTIME_H
#define WOES_EVENTTIME_H

#include "datatype/timestamp.h"

extern void woes_event_time_init(void);

/* the time history rows and metrics record for the change being written */
extern TimestampTz woes_event_time(void);

/* is woes itself writing at a time of its own (a message's, a first message's)? */
extern bool woes_event_time_own(void);

/* run body(arg) with the changes it writes happening at "at" */
extern void woes_event_time_run(TimestampTz at, void (*body) (void *), void *arg);

#endif							/* WOES_EVENTTIME_H */

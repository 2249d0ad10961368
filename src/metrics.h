/*-------------------------------------------------------------------------
 *
 * metrics.h
 *		A conversation's metrics, kept in the same write (metrics.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_METRICS_H
#define WOES_METRICS_H

#include "conversations.h"
#include "datatype/timestamp.h"

/* a relation changed: forget what was read of it */
extern void woes_metrics_forget(Oid relid);

/* does the schema have 0.2.0's conversations (merges, metrics)? cached */
extern bool woes_schema_current(Oid namespace);

/* the conversation hook (check pass): sets the metric columns of the new row */
extern void woes_metrics_check(WoesConversationRow *row);

/* the message trigger: forget, then read, the waiting time its update cleared */
extern void woes_metrics_forget_cleared(void);
extern bool woes_metrics_cleared_waiting(Datum conversation, TimestampTz *waiting_since);

/* a public operator reply's woes.reply_times row (SPI connected) */
extern void woes_metrics_reply(Oid owner, Datum workspace, Datum message, Datum conversation,
							   Datum operator_id, bool operator_null, Datum team, bool team_null,
							   Datum channel, Datum replied_at);

#endif							/* WOES_METRICS_H */

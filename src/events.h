/*-------------------------------------------------------------------------
 *
 * events.h
 *		The outbox: events written in the same transaction as the change
 *		they describe, their payloads, the horizon and the NOTIFY wake-ups.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_EVENTS_H
#define WOES_EVENTS_H

#include "utils/jsonb.h"

extern void woes_events_init(void);

/*
 * An event's payload: a JSON object of ids and labels, built as jsonb (no
 * text is parsed, no character needs escaping by hand).  Payloads never
 * carry a body, a subject, a name, an email address or a reason.
 */
typedef struct WoesPayload
{
	JsonbParseState *state;
} WoesPayload;

extern void woes_payload_begin(WoesPayload *payload);
extern void woes_payload_text(WoesPayload *payload, const char *key, const char *value);
extern void woes_payload_uuid(WoesPayload *payload, const char *key, Datum uuid);
extern void woes_payload_int64(WoesPayload *payload, const char *key, int64 value);
extern void woes_payload_bool(WoesPayload *payload, const char *key, bool value);

/* append one event (as owner) with the payload, and send the wake-ups */
extern void woes_emit_event(Oid owner, Datum workspace, const char *kind, Datum conversation,
							bool conversation_null, WoesPayload *payload);

#endif							/* WOES_EVENTS_H */

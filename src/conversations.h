/*-------------------------------------------------------------------------
 *
 * conversations.h
 *		The one BEFORE trigger on woes.conversations, and the hooks it calls.
 *
 * The trigger reads the row once into a WoesConversationRow and runs each
 * concern's hook in two passes: first every check (a hook may refuse the
 * change, or set columns of the new row), then, with the row final, every
 * record (history rows, outbox events).  So nothing is written for a
 * change another concern refuses, and a hook sees the values the hooks
 * before it settled.  A new concern adds a hook to the list in
 * conversations.c; it does not edit another concern's code.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_CONVERSATIONS_H
#define WOES_CONVERSATIONS_H

#include "access/htup.h"
#include "commands/trigger.h"
#include "utils/rel.h"
#include "utils/uuid.h"

#include "compat.h"

/* attribute numbers of woes.conversations, looked up by name */
typedef struct WoesConversationAtts
{
	Oid			relid;
	int			workspace_id;
	int			id;
	int			number;
	int			channel;
	int			status;
	int			control;
	int			controller_id;
	int			contact_id;
	int			assignee_id;
	int			team_id;
	int			snoozed_until;
	int			waiting_since;
} WoesConversationAtts;

typedef struct WoesConversationRow
{
	Relation	rel;
	TupleDesc	tupdesc;
	const WoesConversationAtts *atts;
	Oid			owner;			/* the owner of the table: history is written as it */
	bool		insert;
	HeapTuple	oldtuple;		/* UPDATE: the locked, latest row version */
	HeapTuple	newtuple;		/* the row to be stored, with the hooks' changes */
	Datum		workspace;
	Datum		id;

	/* read once; a hook that changes one of these also sets its column */
	int			from_status;	/* -1 on INSERT */
	int			to_status;
	int			from_control;	/* -1 on INSERT */
	int			to_control;		/* -1 on INSERT when not given: the handoff hook decides */

	/* the facts of a new conversation's start, read once when first asked */
	bool		facts_read;
	bool		contact_blocked;
	bool		agent_serves;
} WoesConversationRow;

/* a column of the new row as it stands */
extern Datum woes_conversation_get(WoesConversationRow *row, int attnum, bool *isnull);
/* set a column of the new row */
extern void woes_conversation_set(WoesConversationRow *row, int attnum, Datum value, bool isnull);
/* INSERT: is the contact blocked, does an active agent serve the channel? */
extern void woes_conversation_facts(WoesConversationRow *row);

/* WO404: the conversation is not one the caller can see (NULL: not named) */
pg_noreturn extern void woes_conversation_not_found(const pg_uuid_t *conversation);

/* the hooks */
extern void woes_lifecycle_check(WoesConversationRow *row);
extern void woes_lifecycle_record(WoesConversationRow *row);
extern void woes_handoff_check(WoesConversationRow *row);
extern void woes_handoff_record(WoesConversationRow *row);
extern void woes_assignment_check(WoesConversationRow *row);
extern void woes_assignment_record(WoesConversationRow *row);
extern void woes_load_record(WoesConversationRow *row);
extern void woes_fields_check(WoesConversationRow *row);

#endif							/* WOES_CONVERSATIONS_H */

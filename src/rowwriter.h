/*-------------------------------------------------------------------------
 *
 * rowwriter.h
 *		Rows woes writes itself through the executor's single-row insert:
 *		history and outbox rows, and the intake's message.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_ROWWRITER_H
#define WOES_ROWWRITER_H

#include "executor/executor.h"
#include "nodes/execnodes.h"
#include "rewrite/rowsecurity.h"
#include "storage/lockdefs.h"
#include "utils/relcache.h"
#include "utils/uuid.h"

typedef enum WoesDirectTable
{
	WOES_DIRECT_STATUS_EVENTS,
	WOES_DIRECT_HANDOFF_EVENTS,
	WOES_DIRECT_EVENTS,
	WOES_DIRECT_MESSAGES,
	WOES_DIRECT_ASSIGNMENTS,
	WOES_DIRECT_ISSUE_STATE_EVENTS
} WoesDirectTable;

/*
 * The columns of woes.messages the writer binds, by name and type: one
 * list makes both the writer's binding table and the value positions its
 * callers fill (WOES_MESSAGE_COL_BODY, ...).
 */
#define WOES_MESSAGE_COLUMNS(X) \
	X(WORKSPACE_ID, "workspace_id", "uuid") \
	X(ID, "id", "uuid") \
	X(CONVERSATION_ID, "conversation_id", "uuid") \
	X(CONTACT_ID, "contact_id", "uuid") \
	X(AUTHOR_KIND, "author_kind", "text") \
	X(AUTHOR_ID, "author_id", "uuid") \
	X(VISIBILITY, "visibility", "visibility") \
	X(BODY, "body", "text") \
	X(ATTACHMENTS, "attachments", "jsonb") \
	X(GROUNDING, "grounding", "jsonb") \
	X(CHANNEL, "channel", "text") \
	X(EXTERNAL_ID, "external_id", "text") \
	X(CREATED_AT, "created_at", "timestamptz") \
	X(EDITED_AT, "edited_at", "timestamptz") \
	X(REDACTED_AT, "redacted_at", "timestamptz") \
	X(REDACTED_BY, "redacted_by", "uuid") \
	X(REDACTION_REASON, "redaction_reason", "text")

#define WOES_MESSAGE_COL_ENUM(name, column, type) WOES_MESSAGE_COL_##name,
enum
{
	WOES_MESSAGE_COLUMNS(WOES_MESSAGE_COL_ENUM)
	WOES_MESSAGE_NCOLUMNS
};
#undef WOES_MESSAGE_COL_ENUM

#define WOES_DIRECT_MAX_COLUMNS 32

/* a table's CHECK constraints, parsed once per binding, planned once per catalog change (rowwriter.c) */
typedef struct WoesChecks
{
	MemoryContext cxt;
	int			n;
	Node	  **exprs;			/* parsed */
	MemoryContext plancxt;		/* a child of cxt */
	Expr	  **planned;		/* NULL: to be planned */
	uint64		planned_generation;
} WoesChecks;

/*
 * woes_permissions_hooked
 *		Is a module watching the executor's permission checks
 *		(ExecutorCheckPerms_hook: pgaudit's session and object audit,
 *		sepgsql's access control), or adding row-level security policies of
 *		its own (row_security_policy_hook_permissive/_restrictive, which the
 *		relation's policies -- all woes_policies_own reads -- do not show)?
 *		Then every direct path that stands for a statement -- the caller's
 *		INSERT of a message, an UPDATE of a conversation, the context check's
 *		SELECTs -- runs that statement instead, so the module sees and judges
 *		each access it would have seen.  Calling the permission hook from
 *		here would not do: it expects a statement around its range table
 *		(pgaudit files the statement's text and keeps the range table until
 *		the statement ends).
 */
static inline bool
woes_permissions_hooked(void)
{
	return ExecutorCheckPerms_hook != NULL ||
		row_security_policy_hook_permissive != NULL ||
		row_security_policy_hook_restrictive != NULL;
}

extern void woes_bound_forget(Oid relid);
extern bool woes_type_is(Oid typid, const char *typname);
extern bool woes_statement_triggers_own(Relation rel, CmdType cmd);
extern void woes_checks_bind(WoesChecks *c, TupleDesc tupdesc);
extern void woes_checks_init(void);
extern void woes_checks_prepare(WoesChecks *c, ResultRelInfo *rri, EState *estate);
extern ResultRelInfo *woes_direct_begin(EState *estate, Relation rel, WoesChecks *checks,
										Bitmapset *updated);
extern void woes_direct_end(EState *estate, ResultRelInfo *rri);
extern void woes_copy_columns(TupleTableSlot *slot, const AttrNumber *attnums, int n,
							  MemoryContext cxt, Datum *values, bool *nulls);
/* a table of schema woes, opened by name under lockmode and bound (see rowwriter.c) */
extern Relation woes_open_bound(const char *relname, const pg_uuid_t *workspace, LOCKMODE lockmode,
								bool *valid, Oid *relid, const Oid *also,
								void (*bind) (Relation rel, void *arg), void *arg);
extern int64 woes_insert_direct(WoesDirectTable which, const Datum *values, const bool *nulls,
								bool parent_locked);
extern int64 woes_insert_direct_ex(WoesDirectTable which, const Datum *values, const bool *nulls,
								   bool parent_locked, bool as_caller, bool *stored,
								   Datum *final_values, bool *final_nulls);

#endif							/* WOES_ROWWRITER_H */

/*-------------------------------------------------------------------------
 *
 * woes.h
 *		Shared declarations of the woes extension: SQLSTATEs, the small
 *		enumerated types, and the context accessors.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_H
#define WOES_H

#include "fmgr.h"
#include "utils/uuid.h"

/*
 * The extension's own SQLSTATEs, class "WO".  Keep this list, the README's
 * error table and the SQL sources (which raise some of them) in step.
 */
#define ERRCODE_WOES_NO_CONTEXT			MAKE_SQLSTATE('W','O','0','0','1')
#define ERRCODE_WOES_WRONG_WORKSPACE	MAKE_SQLSTATE('W','O','0','0','2')
#define ERRCODE_WOES_NOT_ALLOWED		MAKE_SQLSTATE('W','O','0','0','3')
#define ERRCODE_WOES_INVALID_CONTEXT	MAKE_SQLSTATE('W','O','0','0','4')
#define ERRCODE_WOES_NOT_FOUND			MAKE_SQLSTATE('W','O','0','0','5')
#define ERRCODE_WOES_IMMUTABLE			MAKE_SQLSTATE('W','O','0','0','6')
#define ERRCODE_WOES_INVALID_ARGUMENT	MAKE_SQLSTATE('W','O','0','0','7')
#define ERRCODE_WOES_DUPLICATE			MAKE_SQLSTATE('W','O','0','0','8')
#define ERRCODE_WOES_INVALID_TRANSITION	MAKE_SQLSTATE('W','O','1','0','1')
#define ERRCODE_WOES_INVALID_SNOOZE		MAKE_SQLSTATE('W','O','1','0','2')
#define ERRCODE_WOES_GROUNDING_REQUIRED	MAKE_SQLSTATE('W','O','2','0','1')
#define ERRCODE_WOES_AUTOMATION_STOPPED	MAKE_SQLSTATE('W','O','3','0','1')
#define ERRCODE_WOES_ALREADY_TAKEN		MAKE_SQLSTATE('W','O','3','0','2')
#define ERRCODE_WOES_NO_AGENT			MAKE_SQLSTATE('W','O','3','0','3')
#define ERRCODE_WOES_INVALID_HANDOFF	MAKE_SQLSTATE('W','O','3','0','4')
#define ERRCODE_WOES_READ_COMMITTED		MAKE_SQLSTATE('W','O','4','0','1')

/*
 * Small enumerated types (woes.audience, woes.status, ...) are one byte,
 * passed by value; the byte is the label's position, which is also the sort
 * order.  A descriptor names the type and its labels; the C functions that
 * do not need the labels (comparison, hashing) are shared by all of them.
 */
typedef struct WoesEnumType
{
	const char *typname;		/* for messages, e.g. "woes.status" */
	int			nlabels;
	const char *const *labels;
} WoesEnumType;

/* label positions of woes.audience; 0 is "no audience" in the GUC only */
#define WOES_AUDIENCE_NONE		0
#define WOES_AUDIENCE_CUSTOMER	1
#define WOES_AUDIENCE_AGENT		2
#define WOES_AUDIENCE_OPERATOR	3
#define WOES_AUDIENCE_ANALYST	4
#define WOES_AUDIENCE_ADMIN		5

/* label positions of woes.status, in lifecycle order */
#define WOES_STATUS_OPEN		0
#define WOES_STATUS_PENDING		1
#define WOES_STATUS_SNOOZED		2
#define WOES_STATUS_RESOLVED	3
#define WOES_STATUS_CLOSED		4
#define WOES_STATUS_COUNT		5

/* label positions of woes.visibility */
#define WOES_VISIBILITY_PUBLIC		0
#define WOES_VISIBILITY_INTERNAL	1
#define WOES_VISIBILITY_DEBUG		2

/* label positions of woes.control */
#define WOES_CONTROL_AUTOMATION		0
#define WOES_CONTROL_HANDOFF		1
#define WOES_CONTROL_OPERATOR		2

extern const WoesEnumType woes_audience_type;
extern const WoesEnumType woes_status_type;
extern const WoesEnumType woes_visibility_type;
extern const WoesEnumType woes_control_type;

extern int	woes_enum_parse(const WoesEnumType *type, const char *str, bool missing_ok);
extern const char *woes_enum_label(const WoesEnumType *type, int value);

/* context.c */
extern void woes_context_init(void);
extern const pg_uuid_t *woes_context_workspace(void);
extern const pg_uuid_t *woes_context_actor(void);
extern int	woes_context_audience(void);
extern const char *woes_context_reason(void);

extern void woes_require_context(void);
extern char *woes_uuid_text(const pg_uuid_t *id);
extern void woes_require_audience(uint32 mask, const char *action);

#define WOES_AUDIENCE_BIT(a)	((uint32) 1 << (a))
extern bool woes_restoring(void);

#define WOES_PINNED_SEARCH_PATH "pg_catalog, pg_temp"

typedef struct WoesOwnerScope
{
	bool		nested;			/* an outer scope already did it all */
	Oid			save_userid;
	int			save_sec;
	int			nestlevel;
} WoesOwnerScope;

extern void woes_pin_row_security(void);
extern int	woes_pin_rules_begin(void);
extern void woes_pin_rules_end(int nestlevel);
extern int	woes_api_begin(bool reason_given, const char *reason);
extern void woes_api_end(int nestlevel);
extern void woes_owner_begin(WoesOwnerScope *scope, Oid owner);
extern void woes_owner_end(WoesOwnerScope *scope);

/* lifecycle.c */
extern bool woes_control_can_change(int from, int to);

/* events.c */
extern void woes_events_init(void);
extern void woes_emit_event(Oid owner, Datum workspace, const char *kind, Datum conversation,
							bool conversation_null, const char *payload);

/* rowwriter.c: history and outbox rows written by the triggers */
typedef enum WoesDirectTable
{
	WOES_DIRECT_STATUS_EVENTS,
	WOES_DIRECT_HANDOFF_EVENTS,
	WOES_DIRECT_EVENTS,
	WOES_DIRECT_MESSAGES
} WoesDirectTable;

#define WOES_DIRECT_MAX_COLUMNS 32

extern void woes_rowwriter_init(void);
extern int64 woes_insert_direct(WoesDirectTable which, const Datum *values, const bool *nulls,
								bool parent_locked);
extern int64 woes_insert_direct_ex(WoesDirectTable which, const Datum *values, const bool *nulls,
								   bool parent_locked, bool as_caller, bool *stored,
								   Datum *final_values, bool *final_nulls);

/* intake.c */
extern void woes_intake_init(void);

/* visibility.c */
extern bool woes_audience_can_see(int audience, int visibility, bool own);

/* ids.c */
extern void woes_uuid_v7(pg_uuid_t *out);
extern bool woes_uuid_parse(const char *str, pg_uuid_t *out);

#endif							/* WOES_H */

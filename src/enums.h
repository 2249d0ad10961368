/*-------------------------------------------------------------------------
 *
 * enums.h
 *		The small enumerated types (woes.audience, woes.status,
 *		woes.visibility, woes.control): one byte, passed by value; the byte
 *		is the label's position, which is also the sort order.
 *
 * Each type's labels are one list below.  It makes the position constants
 * (WOES_STATUS_OPEN, ...), the label arrays of enums.c and, for the
 * audience, the options of the woes.audience setting; so they cannot drift
 * apart.  The SQL types (00_types.sql) list the same labels in the same
 * order, which the type tests check.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_ENUMS_H
#define WOES_ENUMS_H

/* position 0, "none", exists only in the setting: no context */
#define WOES_AUDIENCE_LABELS(X) \
	X(WOES_AUDIENCE_NONE, "none") \
	X(WOES_AUDIENCE_CUSTOMER, "customer") \
	X(WOES_AUDIENCE_AGENT, "agent") \
	X(WOES_AUDIENCE_OPERATOR, "operator") \
	X(WOES_AUDIENCE_ANALYST, "analyst") \
	X(WOES_AUDIENCE_ADMIN, "admin")

/* in lifecycle order */
#define WOES_STATUS_LABELS(X) \
	X(WOES_STATUS_OPEN, "open") \
	X(WOES_STATUS_PENDING, "pending") \
	X(WOES_STATUS_SNOOZED, "snoozed") \
	X(WOES_STATUS_RESOLVED, "resolved") \
	X(WOES_STATUS_CLOSED, "closed")

#define WOES_VISIBILITY_LABELS(X) \
	X(WOES_VISIBILITY_PUBLIC, "public") \
	X(WOES_VISIBILITY_INTERNAL, "internal") \
	X(WOES_VISIBILITY_DEBUG, "debug")

#define WOES_CONTROL_LABELS(X) \
	X(WOES_CONTROL_AUTOMATION, "automation") \
	X(WOES_CONTROL_HANDOFF, "handoff_requested") \
	X(WOES_CONTROL_OPERATOR, "operator")

#define WOES_ENUM_CONSTANT(name, label) name,
enum
{
	WOES_AUDIENCE_LABELS(WOES_ENUM_CONSTANT)
	WOES_AUDIENCE_COUNT
};
enum
{
	WOES_STATUS_LABELS(WOES_ENUM_CONSTANT)
	WOES_STATUS_COUNT
};
enum
{
	WOES_VISIBILITY_LABELS(WOES_ENUM_CONSTANT)
	WOES_VISIBILITY_COUNT
};
enum
{
	WOES_CONTROL_LABELS(WOES_ENUM_CONSTANT)
	WOES_CONTROL_COUNT
};
#undef WOES_ENUM_CONSTANT

#define WOES_AUDIENCE_BIT(a)	((uint32) 1 << (a))

/*
 * A descriptor names a type and its labels; labels before "first" are not
 * values of the SQL type (the audience's "none").  The C functions that do
 * not need the labels (comparison, hashing) are shared by all of them.
 */
typedef struct WoesEnumType
{
	const char *typname;		/* for messages, e.g. "woes.status" */
	int			first;
	int			nlabels;
	const char *const *labels;
} WoesEnumType;

extern const WoesEnumType woes_audience_type;
extern const WoesEnumType woes_status_type;
extern const WoesEnumType woes_visibility_type;
extern const WoesEnumType woes_control_type;

extern int	woes_enum_parse(const WoesEnumType *type, const char *str, bool missing_ok);
extern const char *woes_enum_label(const WoesEnumType *type, int value);

#endif							/* WOES_ENUMS_H */

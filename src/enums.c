/*-------------------------------------------------------------------------
 *
 * enums.c
 *		The small enumerated base types of woes (woes.audience, woes.status,
 *		woes.visibility, woes.control):
 *		one byte, passed by value, no catalog lookups and no allocation to
 *		compare, sort or hash them.
 *
 * Each type is a descriptor (name + labels in sort order).  Input, output,
 * receive and send are per type (they need the labels); comparison and
 * hashing only look at the byte, so every type binds its operators to the
 * same shared C functions.  The wire format of send/recv is the label text,
 * like PostgreSQL's own enums, so clients never depend on the byte values.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "enums.h"

#define WOES_ENUM_LABEL(name, label) label,

static const char *const audience_labels[] = {WOES_AUDIENCE_LABELS(WOES_ENUM_LABEL)};
static const char *const status_labels[] = {WOES_STATUS_LABELS(WOES_ENUM_LABEL)};
static const char *const visibility_labels[] = {WOES_VISIBILITY_LABELS(WOES_ENUM_LABEL)};
static const char *const control_labels[] = {WOES_CONTROL_LABELS(WOES_ENUM_LABEL)};

/* the audience's "none" (position 0) is the setting's, not a value of the type */
const WoesEnumType woes_audience_type = {
	"woes.audience", WOES_AUDIENCE_CUSTOMER, lengthof(audience_labels), audience_labels
};
const WoesEnumType woes_status_type = {
	"woes.status", 0, lengthof(status_labels), status_labels
};
const WoesEnumType woes_visibility_type = {
	"woes.visibility", 0, lengthof(visibility_labels), visibility_labels
};
const WoesEnumType woes_control_type = {
	"woes.control", 0, lengthof(control_labels), control_labels
};

/*
 * woes_enum_parse
 *		The position of label str in type, or -1 (missing_ok) / an error.
 *		Labels before the type's first (the audience's "none") are never
 *		accepted.
 */
int
woes_enum_parse(const WoesEnumType *type, const char *str, bool missing_ok)
{
	int			i;
	StringInfoData valid;

	for (i = type->first; i < type->nlabels; i++)
	{
		if (strcmp(str, type->labels[i]) == 0)
			return i;
	}
	if (missing_ok)
		return -1;

	initStringInfo(&valid);
	for (i = type->first; i < type->nlabels; i++)
	{
		if (valid.len > 0)
			appendStringInfoString(&valid, ", ");
		appendStringInfoString(&valid, type->labels[i]);
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input value for %s: \"%s\"", type->typname, str),
			 errhint("Valid values are: %s.", valid.data)));
	return -1;					/* keep compiler quiet */
}

/*
 * woes_enum_label
 *		The label of a stored value; a corrupt byte is reported, not crashed on.
 */
const char *
woes_enum_label(const WoesEnumType *type, int value)
{
	if (value < type->first || value >= type->nlabels)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid internal value %d for %s", value, type->typname)));
	return type->labels[value];
}

static Datum
woes_enum_in_common(const WoesEnumType *type, const char *str)
{
	return CharGetDatum((char) woes_enum_parse(type, str, false));
}

static Datum
woes_enum_out_common(const WoesEnumType *type, Datum value)
{
	return CStringGetDatum(pstrdup(woes_enum_label(type, (uint8) DatumGetChar(value))));
}

static Datum
woes_enum_recv_common(const WoesEnumType *type, StringInfo buf)
{
	int			nbytes;			/* pq_getmsgtext writes it: never pass NULL */
	char	   *str = pq_getmsgtext(buf, buf->len - buf->cursor, &nbytes);

	return CharGetDatum((char) woes_enum_parse(type, str, false));
}

static Datum
woes_enum_send_common(const WoesEnumType *type, Datum value)
{
	StringInfoData buf;
	const char *label = woes_enum_label(type, (uint8) DatumGetChar(value));

	pq_begintypsend(&buf);
	pq_sendtext(&buf, label, strlen(label));
	return PointerGetDatum(pq_endtypsend(&buf));
}

/* The four I/O functions of one type, bound to its descriptor. */
#define WOES_ENUM_IO(name) \
PG_FUNCTION_INFO_V1(woes_##name##_in); \
Datum woes_##name##_in(PG_FUNCTION_ARGS) \
{ return woes_enum_in_common(&woes_##name##_type, PG_GETARG_CSTRING(0)); } \
PG_FUNCTION_INFO_V1(woes_##name##_out); \
Datum woes_##name##_out(PG_FUNCTION_ARGS) \
{ return woes_enum_out_common(&woes_##name##_type, PG_GETARG_DATUM(0)); } \
PG_FUNCTION_INFO_V1(woes_##name##_recv); \
Datum woes_##name##_recv(PG_FUNCTION_ARGS) \
{ return woes_enum_recv_common(&woes_##name##_type, (StringInfo) PG_GETARG_POINTER(0)); } \
PG_FUNCTION_INFO_V1(woes_##name##_send); \
Datum woes_##name##_send(PG_FUNCTION_ARGS) \
{ return woes_enum_send_common(&woes_##name##_type, PG_GETARG_DATUM(0)); }

WOES_ENUM_IO(audience)
WOES_ENUM_IO(status)
WOES_ENUM_IO(visibility)
WOES_ENUM_IO(control)

/*
 * Comparison and hashing shared by every woes enum type: the byte is the
 * sort position, so these are plain integer operations.
 */
#define ENUM_ARG(n) ((int) (uint8) PG_GETARG_CHAR(n))

PG_FUNCTION_INFO_V1(woes_enum_eq);
PG_FUNCTION_INFO_V1(woes_enum_ne);
PG_FUNCTION_INFO_V1(woes_enum_lt);
PG_FUNCTION_INFO_V1(woes_enum_le);
PG_FUNCTION_INFO_V1(woes_enum_gt);
PG_FUNCTION_INFO_V1(woes_enum_ge);
PG_FUNCTION_INFO_V1(woes_enum_cmp);
PG_FUNCTION_INFO_V1(woes_enum_hash);
PG_FUNCTION_INFO_V1(woes_enum_hash_extended);

Datum
woes_enum_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) == ENUM_ARG(1));
}

Datum
woes_enum_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) != ENUM_ARG(1));
}

Datum
woes_enum_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) < ENUM_ARG(1));
}

Datum
woes_enum_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) <= ENUM_ARG(1));
}

Datum
woes_enum_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) > ENUM_ARG(1));
}

Datum
woes_enum_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ENUM_ARG(0) >= ENUM_ARG(1));
}

Datum
woes_enum_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ENUM_ARG(0) - ENUM_ARG(1));
}

Datum
woes_enum_hash(PG_FUNCTION_ARGS)
{
	return hash_uint32((uint32) ENUM_ARG(0));
}

Datum
woes_enum_hash_extended(PG_FUNCTION_ARGS)
{
	return hash_uint32_extended((uint32) ENUM_ARG(0), PG_GETARG_INT64(1));
}

/*-------------------------------------------------------------------------
 *
 * ids.c
 *		Identifiers: UUID version 7 (RFC 9562) generated in C, and a strict
 *		parser for the canonical text form that never throws (the settings'
 *		check hooks need one).
 *
 * A v7 id starts with the Unix time in milliseconds, so ids of one
 * workspace are roughly time ordered and new rows land at the right edge of
 * the primary key index instead of all over it.  Within one millisecond the
 * 12-bit rand_a field is a counter (RFC 9562 method 3, "replace leftmost
 * random bits with increased clock precision"), so ids made by one backend
 * are strictly increasing even when the clock stands still or steps back.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/time.h>

#include "fmgr.h"
#include "port/pg_bswap.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "ids.h"

PG_FUNCTION_INFO_V1(woes_uuid_generate_v7);
PG_FUNCTION_INFO_V1(woes_uuid_v7_time);

/* last (milliseconds, counter) handed out by this backend */
static uint64 last_ms = 0;
static uint16 last_counter = 0;

/* the value of one hex digit, or -1 */
static inline int
hex_value_or_neg(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * woes_uuid_v7
 *		Fill *out with a new version 7 UUID.
 */
void
woes_uuid_v7(pg_uuid_t *out)
{
	struct timeval tv;
	uint64		ms;
	uint16		counter;

	if (!pg_strong_random(out->data, UUID_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate random values for a uuid")));

	gettimeofday(&tv, NULL);
	ms = (uint64) tv.tv_sec * 1000 + tv.tv_usec / 1000;

	if (ms <= last_ms)
	{
		/* same millisecond (or the clock went back): count up */
		ms = last_ms;
		counter = last_counter + 1;
		if (counter > 0x0FFF)
		{
			/* 4096 ids in one millisecond: borrow the next one */
			ms++;
			counter = 0;
		}
	}
	else
	{
		/* a fresh millisecond starts the counter at a random low value */
		counter = ((uint16) out->data[6] << 4 | out->data[7] >> 4) & 0x01FF;
	}
	last_ms = ms;
	last_counter = counter;

	out->data[0] = (uint8) (ms >> 40);
	out->data[1] = (uint8) (ms >> 32);
	out->data[2] = (uint8) (ms >> 24);
	out->data[3] = (uint8) (ms >> 16);
	out->data[4] = (uint8) (ms >> 8);
	out->data[5] = (uint8) ms;
	out->data[6] = 0x70 | (uint8) (counter >> 8);	/* version 7 */
	out->data[7] = (uint8) counter;
	out->data[8] = (out->data[8] & 0x3F) | 0x80;	/* variant 10xx */
}

/*
 * woes_uuid_parse
 *		Parse the canonical form (8-4-4-4-12 hex digits, either case) or the
 *		same 32 digits without hyphens.  Returns false instead of throwing.
 */
bool
woes_uuid_parse(const char *str, pg_uuid_t *out)
{
	int			i = 0;
	const char *p = str;

	if (str == NULL)
		return false;
	while (i < UUID_LEN)
	{
		int			hi,
					lo;

		/* hyphens are allowed only before bytes 4, 6, 8 and 10 */
		if (*p == '-' && (i == 4 || i == 6 || i == 8 || i == 10))
			p++;
		hi = hex_value_or_neg(p[0]);
		if (hi < 0)
			return false;
		lo = hex_value_or_neg(p[1]);
		if (lo < 0)
			return false;
		out->data[i++] = (uint8) (hi << 4 | lo);
		p += 2;
	}
	return *p == '\0';
}

/* the text form of an id */
char *
woes_uuid_text(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum((pg_uuid_t *) id)));
}

Datum
woes_uuid_copy(Datum uuid)
{
	return datumCopy(uuid, false, UUID_LEN);
}

/*
 * uuid_generate_v7() returns uuid
 */
Datum
woes_uuid_generate_v7(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	woes_uuid_v7(id);
	PG_RETURN_UUID_P(id);
}

/*
 * uuid_v7_time(uuid) returns timestamptz
 *		The creation time carried by a version 7 id; NULL for other versions.
 */
Datum
woes_uuid_v7_time(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *id = PG_GETARG_UUID_P(0);
	uint64		ms = 0;
	int			i;

	if ((id->data[6] >> 4) != 7)
		PG_RETURN_NULL();
	for (i = 0; i < 6; i++)
		ms = ms << 8 | id->data[i];

	/* Unix epoch milliseconds to PostgreSQL epoch microseconds */
	PG_RETURN_TIMESTAMPTZ((TimestampTz) ms * 1000 -
						  (TimestampTz) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY);
}

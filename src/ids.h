/*-------------------------------------------------------------------------
 *
 * ids.h
 *		UUID version 7 ids, made and parsed in C; the uuid helpers every
 *		file shares (equality, text, copy).
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_IDS_H
#define WOES_IDS_H

#include "utils/uuid.h"

extern void woes_uuid_v7(pg_uuid_t *out);
extern bool woes_uuid_parse(const char *str, pg_uuid_t *out);
extern char *woes_uuid_text(const pg_uuid_t *id);
/* a uuid Datum copied into the current memory context (e.g. out of SPI's) */
extern Datum woes_uuid_copy(Datum uuid);

/* one id: byte equality, as uuid's = operator */
static inline bool
woes_uuid_equal(const pg_uuid_t *a, const pg_uuid_t *b)
{
	return memcmp(a->data, b->data, UUID_LEN) == 0;
}

#endif							/* WOES_IDS_H */

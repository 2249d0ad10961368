/*-------------------------------------------------------------------------
 *
 * ids.h
 *		UUID version 7 ids, made and parsed in C.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_IDS_H
#define WOES_IDS_H

#include "utils/uuid.h"

extern void woes_uuid_v7(pg_uuid_t *out);
extern bool woes_uuid_parse(const char *str, pg_uuid_t *out);

#endif							/* WOES_IDS_H */

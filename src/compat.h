/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every PostgreSQL-version shim of the woes extension lives here.
 *
 * woes targets PostgreSQL 15 and keeps its C portable to 13 through 17.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_COMPAT_H
#define WOES_COMPAT_H

#if PG_VERSION_NUM < 150000
/* Before 15 the function had its older name. */
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

#if PG_VERSION_NUM >= 160000
#define WOES_GUC_EXTRA_MALLOC(size) guc_malloc(LOG, (size))
#else
#define WOES_GUC_EXTRA_MALLOC(size) malloc(size)
#endif

#endif							/* WOES_COMPAT_H */

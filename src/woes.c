/*-------------------------------------------------------------------------
 *
 * woes.c
 *		Module entry point of the woes extension: the module magic and
 *		_PG_init, which sets up each subsystem once per backend (and once per
 *		parallel worker, before the leader's settings are restored there).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"
#include "utils/inval.h"

#include "compat.h"
#include "context.h"
#include "eventtime.h"
#include "events.h"
#include "metrics.h"
#include "plans.h"
#include "rowwriter.h"
#include "shards.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * A relation changed (or, relid invalid, any): each subsystem forgets what
 * it bound or read of it.  One callback for all of woes: a backend has
 * only ten relcache callback slots, and Citus takes most of them.
 */
static void
woes_relcache_callback(Datum arg, Oid relid)
{
	woes_bound_forget(relid);
	woes_shards_forget(relid);
	woes_metrics_forget(relid);
	woes_plans_forget(relid);
}

/*
 * _PG_init
 *		Define the extension's settings and reserve the "woes." prefix so that
 *		no role can create look-alike placeholder settings.
 */
void
_PG_init(void)
{
	woes_context_init();
	woes_event_time_init();
	woes_events_init();
	woes_plans_init();
	woes_checks_init();
	CacheRegisterRelcacheCallback(woes_relcache_callback, (Datum) 0);
	/* after every definition: no placeholder can ever use the prefix */
	MarkGUCPrefixReserved("woes");
}

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

#include "compat.h"
#include "context.h"
#include "events.h"
#include "intake.h"
#include "rowwriter.h"
#include "shards.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Define the extension's settings and reserve the "woes." prefix so that
 *		no role can create look-alike placeholder settings.
 */
void
_PG_init(void)
{
	woes_context_init();
	woes_events_init();
	woes_rowwriter_init();
	woes_intake_init();
	woes_shards_init();
	/* after every definition: no placeholder can ever use the prefix */
	MarkGUCPrefixReserved("woes");
}

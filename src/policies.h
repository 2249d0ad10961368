/*-------------------------------------------------------------------------
 *
 * policies.h
 *		Which row-level security policies of a woes table are woes's own,
 *		as woes defined them: what lets a direct path stand for a statement.
 *
 *-------------------------------------------------------------------------
 */
#ifndef WOES_POLICIES_H
#define WOES_POLICIES_H

#include "utils/relcache.h"

extern bool woes_policies_own(Relation rel, const char *cmds);
extern char *woes_policy_fingerprint(Oid policy);

#endif							/* WOES_POLICIES_H */

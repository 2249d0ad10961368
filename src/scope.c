/*-------------------------------------------------------------------------
 *
 * scope.c
 *		The scopes woes runs its own SQL in, kept plans, and the trigger
 *		protocol checks.
 *
 * Every statement woes runs with raised rights resolves its operators,
 * functions and casts in pg_catalog, never in a schema the caller put on its
 * search_path; every API call runs with row_security on, so that no session
 * can make the triggers take it for a restore (see woes_restoring).  Both
 * are GUC scopes: an error unwinds them with the (sub)transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"

#include "scope.h"

/* pin row_security on in the current GUC scope: woes's rules always apply */
void
woes_pin_row_security(void)
{
	if (!row_security)
		(void) set_config_option("row_security", "on", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * woes_pin_rules_begin / woes_pin_rules_end
 *		For an API function without a GUC scope of its own: row_security on
 *		until the end call (a scope is opened only when it is off, so the
 *		common case costs nothing).  An error unwinds it.
 */
int
woes_pin_rules_begin(void)
{
	int			nestlevel;

	if (row_security)
		return -1;
	nestlevel = NewGUCNestLevel();
	woes_pin_row_security();
	return nestlevel;
}

void
woes_pin_rules_end(int nestlevel)
{
	if (nestlevel >= 0)
		AtEOXact_GUC(true, nestlevel);
}

/*
 * woes_api_begin / woes_api_end
 *		The scope of a C API function that runs statements as the caller
 *		(woes.transition and its shorthands): search_path pinned to
 *		pg_catalog, pg_temp -- the path woes's owner-run statements use, so a
 *		kept plan is shared by both without re-planning -- and woes.reason set
 *		to the call's reason (reason_given false: left as it is), as SET
 *		clauses of a SQL function would.  A GUC scope: functions and triggers
 *		the statements fire still apply their own SET clauses.  An error
 *		unwinds it with the (sub)transaction.
 */
int
woes_api_begin(bool reason_given, const char *reason)
{
	int			nestlevel = NewGUCNestLevel();

	if (namespace_search_path == NULL ||
		strcmp(namespace_search_path, WOES_PINNED_SEARCH_PATH) != 0)
		(void) set_config_option("search_path", WOES_PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	woes_pin_row_security();
	if (reason_given)
		(void) set_config_option("woes.reason", reason ? reason : "", PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

void
woes_api_end(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
}

/*
 * woes_function_owner
 *		The owner of a function: for a woes API function, woes's owner, whom
 *		the C functions that act as the owner inside switch to (instead of
 *		being SECURITY DEFINER: on Citus a call must reach the tenant's
 *		worker as the caller, see woes_forward_call).
 */
Oid
woes_function_owner(Oid fn)
{
	HeapTuple	proc = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn));
	Oid			owner;

	if (!HeapTupleIsValid(proc))
		elog(ERROR, "cache lookup failed for function %u", fn);
	owner = ((Form_pg_proc) GETSTRUCT(proc))->proowner;
	ReleaseSysCache(proc);
	return owner;
}

/*
 * woes_owner_begin / woes_owner_end
 *		Run SQL as the owner of the woes tables (owner invalid: as the current
 *		user, e.g. inside a SECURITY DEFINER function) with search_path pinned
 *		to pg_catalog, pg_temp.  Pinning matters: every statement woes runs
 *		with raised rights must resolve its operators, functions and casts in
 *		pg_catalog, never in a schema the caller put on its search_path.  An
 *		error inside restores both with the (sub)transaction.
 */
void
woes_owner_begin(WoesOwnerScope *scope, Oid owner)
{
	Oid			target = OidIsValid(owner) ? owner : GetUserId();

	/*
	 * Already the owner with the pinned path (an outer scope, e.g. the
	 * trigger around its helpers): nothing to do.  Checked against the real
	 * state, not a counter, so nothing stale can survive an error.
	 */
	scope->nested = GetUserId() == target &&
		namespace_search_path != NULL &&
		strcmp(namespace_search_path, WOES_PINNED_SEARCH_PATH) == 0;
	if (scope->nested)
		return;
	GetUserIdAndSecContext(&scope->save_userid, &scope->save_sec);
	if (OidIsValid(owner))
		SetUserIdAndSecContext(owner, scope->save_sec | SECURITY_LOCAL_USERID_CHANGE);
	scope->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", WOES_PINNED_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

void
woes_owner_end(WoesOwnerScope *scope)
{
	if (scope->nested)
		return;
	AtEOXact_GUC(true, scope->nestlevel);
	SetUserIdAndSecContext(scope->save_userid, scope->save_sec);
}
/*
 * woes_prepare_kept
 *		A plan kept for the backend's life, parsed under the pinned
 *		search_path it will run with.  SPI is connected.
 */
SPIPlanPtr
woes_prepare_kept(const char *query, int nargs, Oid *types)
{
	WoesOwnerScope scope;
	SPIPlanPtr	plan;

	woes_owner_begin(&scope, InvalidOid);
	plan = SPI_prepare(query, nargs, types);
	woes_owner_end(&scope);

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed for \"%s\": %s", query,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	return plan;
}

/*
 * woes_check_trigger
 *		The trigger protocol of every woes trigger function: called as a
 *		trigger, fired BEFORE, FOR EACH ROW (for_row) or FOR EACH STATEMENT,
 *		by one of the events given (none given: any).  Anything else is
 *		39P01, naming the function.
 */
void
woes_check_trigger(FunctionCallInfo fcinfo, const char *name, bool for_row, int events)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TriggerEvent ev;
	const char *on;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("%s must be called as a trigger", name)));
	ev = trigdata->tg_event;
	if (TRIGGER_FIRED_BEFORE(ev) &&
		(for_row ? TRIGGER_FIRED_FOR_ROW(ev) : TRIGGER_FIRED_FOR_STATEMENT(ev)) &&
		(events == 0 ||
		 (TRIGGER_FIRED_BY_INSERT(ev) && (events & WOES_FIRED_BY_INSERT)) ||
		 (TRIGGER_FIRED_BY_UPDATE(ev) && (events & WOES_FIRED_BY_UPDATE)) ||
		 (TRIGGER_FIRED_BY_DELETE(ev) && (events & WOES_FIRED_BY_DELETE))))
		return;
	switch (events)
	{
		case WOES_FIRED_BY_INSERT:
			on = " INSERT";
			break;
		case WOES_FIRED_BY_UPDATE:
			on = " UPDATE";
			break;
		case WOES_FIRED_BY_INSERT | WOES_FIRED_BY_UPDATE:
			on = " INSERT or UPDATE,";
			break;
		case WOES_FIRED_BY_INSERT | WOES_FIRED_BY_UPDATE | WOES_FIRED_BY_DELETE:
			on = " INSERT, UPDATE or DELETE,";
			break;
		default:
			on = ",";
			break;
	}
	ereport(ERROR,
			(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
			 errmsg("%s must be fired BEFORE%s FOR EACH %s", name, on, for_row ? "ROW" : "STATEMENT")));
}

/*
 * woes_trigger_attnum
 *		A column a woes trigger reads, by name; its absence is an error.
 */
int
woes_trigger_attnum(TupleDesc tupdesc, const char *name)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "woes trigger: column \"%s\" is missing", name);
	return attnum;
}

/*
 * woes_trigger_as_owner
 *		Check the row trigger's protocol (see woes_check_trigger), then run
 *		its body as the owner of the table it fired on, with the pinned
 *		search_path: one scope for the whole call, so the helpers' own
 *		scopes cost nothing.
 */
Datum
woes_trigger_as_owner(FunctionCallInfo fcinfo, const char *name, int events,
					  Datum (*body) (FunctionCallInfo))
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	WoesOwnerScope scope;
	Datum		result;

	woes_check_trigger(fcinfo, name, true, events);
	woes_owner_begin(&scope, trigdata->tg_relation->rd_rel->relowner);
	result = body(fcinfo);
	woes_owner_end(&scope);
	return result;
}

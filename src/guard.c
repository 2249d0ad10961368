/*-------------------------------------------------------------------------
 *
 * guard.c
 *		The row guard every workspace table carries: ids that only woes
 *		makes, key columns that can never change, and updated_at kept true
 *		on every write path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "ids.h"
#include "scope.h"
#include "shards.h"

PG_FUNCTION_INFO_V1(woes_guard_update_trigger);
PG_FUNCTION_INFO_V1(woes_assign_id_trigger);

/*
 * assign_id() trigger, BEFORE INSERT FOR EACH ROW on every table with a
 * uuid id; the column has no default.
 *
 * Ids are made here, never by the writer: consumers that key by id (a
 * warehouse, a webhook receiver) must never see two rows of two workspaces
 * under one id, and a writer who could choose ids could reuse another
 * workspace's.  A supplied id is refused (428C9, as PostgreSQL refuses a
 * value for a GENERATED ALWAYS column), except while a restore loads rows
 * as dumped, in the admin audience, which may import rows with their ids,
 * and for a superuser (woes's own SECURITY DEFINER functions, which run as
 * the superuser that created the extension: create_workspace() supplies
 * the id of a new workspace because on Citus, where workspaces is a
 * reference table, this trigger fires once per copy and each would make
 * its own).  The trigger is named to fire before any other BEFORE INSERT
 * trigger (they fire in name order), so those see the id.
 */
Datum
woes_assign_id_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	int			attnum;
	bool		isnull;

	woes_check_trigger(fcinfo, "woes.assign_id()", true, WOES_FIRED_BY_INSERT);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	newtuple = trigdata->tg_trigtuple;
	attnum = SPI_fnumber(tupdesc, "id");
	if (attnum <= 0 || TupleDescAttr(tupdesc, attnum - 1)->atttypid != UUIDOID)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("woes.assign_id(): table \"%s\" has no uuid column \"id\"",
						woes_table_name(trigdata->tg_relation))));

	(void) heap_getattr(newtuple, attnum, tupdesc, &isnull);
	if (isnull)
	{
		pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));
		Datum		value;
		bool		null = false;

		woes_uuid_v7(id);
		value = UUIDPGetDatum(id);
		return PointerGetDatum(heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &attnum, &value, &null));
	}
	if (woes_restoring() || woes_context_audience() == WOES_AUDIENCE_ADMIN || superuser())
		return PointerGetDatum(newtuple);
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("cannot insert a value into column \"id\" of woes.%s",
					woes_table_name(trigdata->tg_relation)),
			 errdetail("Ids are made by woes."),
			 errhint("Leave id out of the INSERT (or write DEFAULT); only the admin audience may import rows with their ids.")));
	return PointerGetDatum(NULL);	/* keep the compiler quiet */
}

/*
 * guard_update(column ...) trigger, BEFORE UPDATE FOR EACH ROW.
 *
 * The named columns (primary key, created_at, conversation numbers) keep
 * their values: a change fails with WO006.  A column updated_at, if the
 * table has one and the update did not set it, becomes the transaction's
 * time, so raw UPDATEs keep it as true as the API does.
 */
Datum
woes_guard_update_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	tupdesc;
	HeapTuple	newtuple;
	int			i;
	int			stamp;

	woes_check_trigger(fcinfo, "woes.guard_update()", true, WOES_FIRED_BY_UPDATE);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	newtuple = trigdata->tg_newtuple;
	if (woes_restoring())
		return PointerGetDatum(newtuple);

	for (i = 0; i < trigdata->tg_trigger->tgnargs; i++)
	{
		const char *column = trigdata->tg_trigger->tgargs[i];
		int			attnum = SPI_fnumber(tupdesc, column);
		Form_pg_attribute att;
		Datum		oldval,
					newval;
		bool		oldnull,
					newnull;

		if (attnum <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
					 errmsg("woes.guard_update(): table \"%s\" has no column \"%s\"",
							woes_table_name(trigdata->tg_relation), column)));
		att = TupleDescAttr(tupdesc, attnum - 1);
		oldval = heap_getattr(trigdata->tg_trigtuple, attnum, tupdesc, &oldnull);
		newval = heap_getattr(newtuple, attnum, tupdesc, &newnull);
		if (oldnull != newnull ||
			(!oldnull && !datumIsEqual(oldval, newval, att->attbyval, att->attlen)))
			ereport(ERROR,
					(errcode(ERRCODE_WOES_IMMUTABLE),
					 errmsg("column \"%s\" of woes.%s cannot be changed",
							column, woes_table_name(trigdata->tg_relation)),
					 errhint("Ids, workspaces, numbers and creation times are fixed when a row is created.")));
	}

	/*
	 * A redacted row (messages) is final: its content is gone and the
	 * record of who redacted it, when and why must stay as written.  Only
	 * its conversation may change: a merge moves every message of a
	 * conversation, redacted or not (woes.message_moved() holds the move to
	 * the merge's target).
	 */
	{
		int			redacted = SPI_fnumber(tupdesc, "redacted_at");
		int			moved = SPI_fnumber(tupdesc, "conversation_id");
		bool		wasnull;

		if (redacted > 0)
		{
			(void) heap_getattr(trigdata->tg_trigtuple, redacted, tupdesc, &wasnull);
			if (!wasnull)
			{
				for (i = 1; i <= tupdesc->natts; i++)
				{
					Form_pg_attribute att = TupleDescAttr(tupdesc, i - 1);
					Datum		oldval,
								newval;
					bool		oldnull,
								newnull;

					if (att->attisdropped || i == moved)
						continue;
					oldval = heap_getattr(trigdata->tg_trigtuple, i, tupdesc, &oldnull);
					newval = heap_getattr(newtuple, i, tupdesc, &newnull);
					if (oldnull != newnull ||
						(!oldnull && !datumIsEqual(oldval, newval, att->attbyval, att->attlen)))
						ereport(ERROR,
								(errcode(ERRCODE_WOES_IMMUTABLE),
								 errmsg("a redacted row of woes.%s cannot be changed",
										woes_table_name(trigdata->tg_relation)),
								 errdetail("Redaction is final: the content is gone and the record of it stays.")));
				}
			}
		}
	}

	stamp = SPI_fnumber(tupdesc, "updated_at");
	if (stamp > 0)
	{
		bool		oldnull,
					newnull;
		Datum		oldval = heap_getattr(trigdata->tg_trigtuple, stamp, tupdesc, &oldnull);
		Datum		newval = heap_getattr(newtuple, stamp, tupdesc, &newnull);
		Form_pg_attribute att = TupleDescAttr(tupdesc, stamp - 1);

		/* datumIsEqual: timestamptz is passed by reference on 32-bit builds */
		if (oldnull == newnull &&
			(oldnull || datumIsEqual(oldval, newval, att->attbyval, att->attlen)))
		{
			Datum		now = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
			bool		isnull = false;

			newtuple = heap_modify_tuple_by_cols(newtuple, tupdesc, 1, &stamp, &now, &isnull);
		}
	}
	return PointerGetDatum(newtuple);
}

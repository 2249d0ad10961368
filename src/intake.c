/*-------------------------------------------------------------------------
 *
 * intake.c
 *		woes.receive_message(): a customer message from a channel, placed in
 *		its thread's conversation, exactly once.
 *
 * The data path of a message into a known thread, which is nearly every
 * message: two transaction-scoped advisory locks (the delivery, the thread),
 * one lookup statement for the channel and an earlier delivery, one for the
 * sender's contact, the thread's conversation and whether the sender is
 * already a participant, and the INSERT of the message (whose trigger
 * updates the conversation and writes the outbox event).  Everything else
 * -- a new contact, a new conversation, a participant row, thread keys --
 * is written only when it is missing or moved, so a redundant upsert never
 * runs.  All statements run as the caller (row-level security applies) with
 * plans kept per backend; every name in them is schema-qualified.
 *
 * Idempotency: deliveries of one (workspace, channel, external message id)
 * are serialised by the first lock, and the lookup of an earlier delivery
 * runs after it, so a redelivery -- also one racing the first -- returns
 * the first message's id and writes nothing.  Messages of one thread are
 * serialised by the second lock, so two first messages of a new thread
 * make one conversation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "executor/tuptable.h"
#include "storage/lock.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "intake.h"
#include "rowwriter.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_receive_message);

typedef enum IntakePlan
{
	P_KEYS,						/* a channel's thread keys (email) */
	P_CONTACT,					/* upsert_contact, for a new or renamed sender */
	P_CONVERSATION,				/* a new thread's conversation */
	P_MESSAGE,					/* the message, where it cannot go straight in */
	P_PARTICIPANT,
	P_MOVE_KEYS,				/* a closed thread's keys to its follow-up */
	P_ADD_KEYS,
	P_COUNT
} IntakePlan;

/* built-in parameter types only: a kept plan outlives a re-created extension */
static const struct
{
	const char *query;
	int			nargs;
	Oid			types[8];
	bool		generic;		/* never re-planned per call */
}			intake_sql[P_COUNT] = {
	[P_KEYS] = {
		"SELECT woes.thread_keys($1, $2)",
		2, {TEXTOID, TEXTOID}, false
	},
	[P_CONTACT] = {
		"SELECT woes.upsert_contact($1, $2, $3)",
		3, {TEXTOID, TEXTOID, TEXTOID}, false
	},
	[P_CONVERSATION] = {
		"INSERT INTO woes.conversations (channel, contact_id, thread_ref, created_at)"
		" VALUES ($1, $2, $3, LEAST($4, pg_catalog.now())) RETURNING id",
		4, {TEXTOID, UUIDOID, TEXTOID, TIMESTAMPTZOID}, false
	},
	[P_MESSAGE] = {
		"INSERT INTO woes.messages (workspace_id, conversation_id, author_kind, author_id, visibility,"
		" body, attachments, channel, external_id, created_at)"
		" VALUES ($1, $2, 'customer', $3, 'public', $4, '[]', $5, $6, $7) RETURNING id, conversation_id",
		7, {UUIDOID, UUIDOID, UUIDOID, TEXTOID, TEXTOID, TEXTOID, TIMESTAMPTZOID}, false
	},
	[P_PARTICIPANT] = {
		"INSERT INTO woes.participants (conversation_id, kind, contact_id)"
		" VALUES ($1, 'customer', $2) ON CONFLICT DO NOTHING",
		2, {UUIDOID, UUIDOID}, false
	},
	[P_MOVE_KEYS] = {
		"UPDATE woes.thread_refs t SET conversation_id = $2"
		" WHERE t.workspace_id OPERATOR(pg_catalog.=) $3"
		"   AND t.conversation_id OPERATOR(pg_catalog.=) $1",
		3, {UUIDOID, UUIDOID, UUIDOID}, false
	},
	[P_ADD_KEYS] = {
		"INSERT INTO woes.thread_refs AS t (channel, ref, conversation_id)"
		" SELECT DISTINCT $1, k, $2 FROM pg_catalog.unnest($3) k"
		" ON CONFLICT ON CONSTRAINT thread_refs_pkey DO UPDATE"
		"    SET conversation_id = excluded.conversation_id"
		"  WHERE t.conversation_id OPERATOR(pg_catalog.<>) excluded.conversation_id",
		3, {TEXTOID, UUIDOID, TEXTARRAYOID}, false
	},
};

static SPIPlanPtr intake_plans[P_COUNT];

/* run one of the statements above; SPI is connected, the API path pushed */
static int
run(IntakePlan which, Datum *values, const char *nulls, bool read_only)
{
	int			ret;

	if (intake_plans[which] == NULL)
	{
		SPIPlanPtr	plan;

		plan = SPI_prepare_cursor(intake_sql[which].query, intake_sql[which].nargs,
								  (Oid *) intake_sql[which].types,
								  intake_sql[which].generic ? CURSOR_OPT_GENERIC_PLAN : 0);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare an intake statement: %s",
				 SPI_result_code_string(SPI_result));
		intake_plans[which] = plan;
	}
	ret = SPI_execute_plan(intake_plans[which], values, nulls, read_only, 0);
	if (ret < 0)
		elog(ERROR, "intake statement failed: %s", SPI_result_code_string(ret));
	return ret;
}

static Datum
copy_uuid(Datum d)
{
	return datumCopy(d, false, UUID_LEN);
}

/*
 * A transaction-scoped exclusive advisory lock on the hash of a key, as
 * pg_advisory_xact_lock(hashtextextended(key, 0)) takes it.
 */
static void
lock_key(const char *key)
{
	uint64		h = DatumGetUInt64(hash_any_extended((const unsigned char *) key, strlen(key), 0));
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) (h >> 32), (uint32) h, 1);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
}

/* characters, as length() counts them */
static int
text_chars(text *t)
{
	return pg_mbstrlen_with_len(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static void
require_text(text *value, const char *what, const char *What, int max_length)
{
	int			n = value ? text_chars(value) : 0;

	if (n < 1 || n > max_length)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("invalid %s", what),
				 errhint("%s is 1 to %d characters.", What, max_length)));
}

/* the error of an unknown channel, with the known ones (woes.require_channel) */
static void
unknown_channel(Datum channel, bool channel_null)
{
	Oid			types[1] = {TEXTOID};
	Datum		values[1] = {channel};
	char		nulls[1] = {channel_null ? 'n' : ' '};

	(void) SPI_execute_with_args("SELECT woes.require_channel($1)", 1, types, values, nulls, true, 1);
	/* require_channel raises; if the channel appeared meanwhile, say so plainly */
	ereport(ERROR,
			(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
			 errmsg("unknown channel \"%s\"", channel_null ? "" : TextDatumGetCString(channel))));
}

/* text[] of C strings */
static Datum
text_array(List *strings)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(list_length(strings), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, strings)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* btrim(s) with the default characters (spaces), as a new string */
static char *
trim_spaces(const char *s)
{
	const char *end = s + strlen(s);

	while (*s == ' ')
		s++;
	while (end > s && end[-1] == ' ')
		end--;
	return pnstrdup(s, end - s);
}


/*
 * Direct index probes for the lookups of the hot path.
 *
 * The five lookups of an intake (the channel, an earlier delivery, the
 * sender's identity, the thread's keys, the sender's participation) are
 * equality probes of unique indexes returning an id.  Through SQL they were
 * a quarter of an intake's CPU: executor start-up, subplans, RLS quals.
 * Here they are btree probes under a fresh snapshot, taken after the locks,
 * like the statement snapshot SQL would take.
 *
 * Row-level security: the probes run for an operator or admin audience only
 * (checked first), every one is bounded to the context's workspace by its
 * leading key, and operators and admins see every row of these tables in
 * their workspace; so a probe finds what the same query under the policies
 * would.  They read ids only, never content, and every write that follows
 * goes through SQL, the policies and the triggers.
 */
typedef enum Probe
{
	PR_CHANNEL,					/* channels (name) */
	PR_MESSAGE,					/* messages (workspace_id, channel, external_id) */
	PR_IDENTITY,				/* identities (workspace_id, channel, external_id) */
	PR_THREAD,					/* thread_refs (workspace_id, channel, ref) */
	PR_PARTICIPANT,				/* participants (workspace_id, conversation_id, kind, contact_id, ...) */
	PR_COUNT
} Probe;

static struct
{
	const char *table;
	const char *index;
	int			nkeys;
	const char *fetch[2];		/* columns returned */
	/* bound per backend */
	bool		valid;
	Oid			relid;
	Oid			indexid;
	AttrNumber	fetch_att[2];
}			probes[PR_COUNT] = {
	[PR_CHANNEL] = {"channels", "channels_pkey", 1, {"thread_keys", NULL}},
	[PR_MESSAGE] = {"messages", "messages_workspace_id_channel_external_id_key", 3, {"id", NULL}},
	[PR_IDENTITY] = {"identities", "identities_workspace_id_channel_external_id_key", 3, {"contact_id", NULL}},
	[PR_THREAD] = {"thread_refs", "thread_refs_pkey", 3, {"conversation_id", "created_at"}},
	[PR_PARTICIPANT] = {"participants", "participants_workspace_id_conversation_id_kind_contact_id_o_key", 4, {"id", NULL}},
};

static void
probes_relcache_callback(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < PR_COUNT; i++)
		if (!OidIsValid(relid) || probes[i].relid == relid || probes[i].indexid == relid)
			probes[i].valid = false;
}

void
woes_intake_init(void)
{
	CacheRegisterRelcacheCallback(probes_relcache_callback, (Datum) 0);
}

static void
bind_probe(Probe which, Relation heap)
{
	int			i;

	probes[which].indexid = get_relname_relid(probes[which].index, RelationGetNamespace(heap));
	if (!OidIsValid(probes[which].indexid))
		elog(ERROR, "index woes.%s is missing", probes[which].index);
	for (i = 0; i < 2; i++)
	{
		probes[which].fetch_att[i] = InvalidAttrNumber;
		if (probes[which].fetch[i] == NULL)
			continue;
		probes[which].fetch_att[i] = get_attnum(RelationGetRelid(heap), probes[which].fetch[i]);
		if (probes[which].fetch_att[i] == InvalidAttrNumber)
			elog(ERROR, "woes.%s has no column %s", probes[which].table, probes[which].fetch[i]);
	}
}

/*
 * probe
 *		The first row visible to snap whose index keys equal keys[0..nkeys-1];
 *		its fetch columns into out/out_null.  false if there is none.
 */
static bool
probe(Probe which, const Datum *keys, Snapshot snap, Datum *out, bool *out_null)
{
	Relation	heap;
	Relation	index;
	ScanKeyData skey[4];
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		found;
	int			i;

	{
		/*
		 * By name, then under the lock (which delivers the invalidation of a
		 * concurrent change), then bound; the locks are kept to the end of
		 * the transaction, as a statement keeps them.
		 */
		Oid			relid = get_relname_relid(probes[which].table, get_namespace_oid("woes", false));

		if (!OidIsValid(relid))
			elog(ERROR, "table woes.%s is missing", probes[which].table);
		heap = table_open(relid, AccessShareLock);
		if (!probes[which].valid || probes[which].relid != relid)
		{
			probes[which].valid = true;
			probes[which].relid = relid;
			PG_TRY();
			{
				bind_probe(which, heap);
			}
			PG_CATCH();
			{
				/* a binding that failed part-way is never used */
				probes[which].valid = false;
				PG_RE_THROW();
			}
			PG_END_TRY();
		}
	}
	index = index_open(probes[which].indexid, AccessShareLock);
	if (IndexRelationGetNumberOfKeyAttributes(index) < probes[which].nkeys)
		elog(ERROR, "index woes.%s does not have the expected columns", probes[which].index);
	for (i = 0; i < probes[which].nkeys; i++)
	{
		Oid			type = TupleDescAttr(RelationGetDescr(index), i)->atttypid;

		if (type != UUIDOID && type != TEXTOID)
			elog(ERROR, "index woes.%s does not have the expected columns", probes[which].index);
		ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber, InvalidOid,
							   index->rd_indcollation[i],
							   type == UUIDOID ? F_UUID_EQ : F_TEXTEQ, keys[i]);
	}
	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, snap, probes[which].nkeys, 0);
	index_rescan(scan, skey, probes[which].nkeys, NULL, 0);
	found = index_getnext_slot(scan, ForwardScanDirection, slot);
	if (found)
		for (i = 0; i < 2; i++)
			if (probes[which].fetch_att[i] != InvalidAttrNumber)
			{
				Datum		d = slot_getattr(slot, probes[which].fetch_att[i], &out_null[i]);
				Form_pg_attribute att = TupleDescAttr(RelationGetDescr(heap), probes[which].fetch_att[i] - 1);

				out[i] = out_null[i] ? (Datum) 0 : datumCopy(d, att->attbyval, att->attlen);
			}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, NoLock);
	table_close(heap, NoLock);
	return found;
}

/* a fresh statement-like snapshot: sees everything committed before the locks */
static Snapshot
fresh_snapshot(void)
{
	CommandCounterIncrement();
	return RegisterSnapshot(GetTransactionSnapshot());
}

/*
 * receive_message(channel text, thread_ref text, sender_external_id text,
 *				   body text, external_message_id text,
 *				   sender_name text DEFAULT NULL, sent_at timestamptz DEFAULT now())
 *		returns uuid: the message's id (the first delivery's, on a redelivery)
 */
Datum
woes_receive_message(PG_FUNCTION_ARGS)
{
	Datum		channel = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	text	   *thread_ref = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	text	   *sender = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	text	   *body = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	text	   *external_id = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_PP(4);
	bool		name_given = PG_NARGS() > 5 && !PG_ARGISNULL(5);
	bool		sent_null = PG_NARGS() > 6 ? PG_ARGISNULL(6) : false;
	Datum		sent_at = PG_NARGS() > 6 ? (sent_null ? (Datum) 0 : PG_GETARG_DATUM(6))
		: TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	const pg_uuid_t *workspace;
	char	   *ws_text;
	char	   *channel_name;
	char	   *ext_text;
	bool		own_key;
	List	   *keys = NIL;
	Datum		contact = (Datum) 0;
	bool		have_contact;
	Datum		found_conv = (Datum) 0;
	bool		have_found_conv;
	int			rules_nestlevel;
	bool		is_participant;
	Datum		conv;
	Datum		message;
	bool		isnull;
	Datum		result = (Datum) 0;
	pg_uuid_t	ws_copy;

	woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
						  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN),
						  "receiving a message");
	/* a copy: nothing the statements below fire can move it */
	ws_copy = *woes_context_workspace();
	workspace = &ws_copy;

	/* woes's rules apply whatever the caller's row_security (see woes_restoring) */
	rules_nestlevel = woes_pin_rules_begin();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/*
	 * No setting scope: the statements below name everything with its
	 * schema (or use operators and functions of pg_catalog explicitly) and
	 * do not depend on search_path; the triggers they fire pin their own;
	 * and the trigger names the reason of its moves (customer_reply).
	 */
	{
		Datum		values[8];
		char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};

		/* the arguments, checked in the order of the documented errors */
		if (PG_ARGISNULL(0))
			unknown_channel((Datum) 0, true);
		{
			/* the channel first (its rows do not change under a delivery) */
			Snapshot	snap = fresh_snapshot();
			Datum		out[2];
			bool		out_null[2];

			if (!probe(PR_CHANNEL, &channel, snap, out, out_null))
				unknown_channel(channel, false);
			own_key = !out_null[0];
			UnregisterSnapshot(snap);
		}
		require_text(external_id, "external message id", "External Message Id", 512);
		require_text(sender, "sender external id", "Sender External Id", 512);
		if (thread_ref && text_chars(thread_ref) > 10000)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("invalid thread reference"),
					 errhint("At most 10000 characters.")));
		if (sent_null)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("sent_at must not be null"),
					 errhint("Pass the time the channel received the message, or leave it out for now().")));
		if (body == NULL || text_chars(body) > 100000)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("invalid message body"),
					 errhint("A body is text of at most 100000 characters (it may be empty).")));

		ws_text = woes_uuid_text(workspace);
		channel_name = TextDatumGetCString(channel);
		ext_text = text_to_cstring(external_id);

		/* one delivery at a time; then an earlier one is visible */
		lock_key(psprintf("woes.message %s %s %s", ws_text, channel_name, ext_text));
		{
			Snapshot	snap = fresh_snapshot();
			Datum		keys3[3] = {UUIDPGetDatum((pg_uuid_t *) workspace), channel,
			PointerGetDatum(external_id)};
			Datum		out[2];
			bool		out_null[2];

			if (probe(PR_MESSAGE, keys3, snap, out, out_null))
			{
				UnregisterSnapshot(snap);
				result = out[0];
				goto done;
			}
			UnregisterSnapshot(snap);
		}

		/*
		 * The thread's keys.  A channel with a thread_keys function (email)
		 * threads by message ids: a first message has no reference, and its
		 * own id is a key too.  Otherwise the reference is the one key.
		 */
		if (own_key)
		{
			Datum		kv[2];
			Datum		kd;
			ArrayType  *arr;
			Datum	   *elems;
			bool	   *enulls;
			int			n,
						i;

			kv[0] = channel;
			kv[1] = thread_ref ? PointerGetDatum(thread_ref) : CStringGetTextDatum("");
			run(P_KEYS, kv, NULL, false);
			if (SPI_processed != 1)
				elog(ERROR, "woes.thread_keys() returned no row");
			kd = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
			/* no keys (NULL): the thread is keyed by the message's own id */
			if (!isnull)
			{
				arr = DatumGetArrayTypeP(kd);
				deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &enulls, &n);
				for (i = 0; i < n; i++)
					if (!enulls[i])
						keys = lappend(keys, TextDatumGetCString(elems[i]));
			}
		}
		else if (thread_ref)
		{
			char	   *key = trim_spaces(text_to_cstring(thread_ref));

			if (key[0] != '\0')
				keys = list_make1(key);
		}
		if (keys == NIL && !own_key)
			ereport(ERROR,
					(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
					 errmsg("a %s message needs a thread reference", channel_name),
					 errhint("Pass the chat session, channel or thread id as thread_ref.")));

		/* one thread, one conversation: a thread's messages one at a time */
		lock_key(psprintf("woes.thread %s %s %s", ws_text, channel_name,
						  keys != NIL ? (char *) linitial(keys) : ext_text));

		{
			Snapshot	snap = fresh_snapshot();
			Datum		k[4] = {UUIDPGetDatum((pg_uuid_t *) workspace), channel, PointerGetDatum(sender), 0};
			Datum		out[2];
			bool		out_null[2];
			TimestampTz newest = 0;
			ListCell   *lc;

			have_contact = probe(PR_IDENTITY, k, snap, out, out_null) && !out_null[0];
			if (have_contact)
				contact = out[0];

			/* the thread: the newest conversation any of its keys leads to */
			have_found_conv = false;
			foreach(lc, keys)
			{
				k[2] = CStringGetTextDatum((char *) lfirst(lc));
				if (probe(PR_THREAD, k, snap, out, out_null) && !out_null[0] &&
					(!have_found_conv || DatumGetTimestampTz(out[1]) > newest))
				{
					found_conv = out[0];
					newest = DatumGetTimestampTz(out[1]);
					have_found_conv = true;
				}
			}

			is_participant = false;
			if (have_contact && have_found_conv)
			{
				k[1] = found_conv;
				k[2] = CStringGetTextDatum("customer");
				k[3] = contact;
				is_participant = probe(PR_PARTICIPANT, k, snap, out, out_null);
			}
			UnregisterSnapshot(snap);
		}

		/* a new sender, or news about its name: upsert_contact */
		if (!have_contact || name_given)
		{
			values[0] = channel;
			values[1] = PointerGetDatum(sender);
			values[2] = name_given ? PG_GETARG_DATUM(5) : (Datum) 0;
			nulls[2] = name_given ? ' ' : 'n';
			run(P_CONTACT, values, nulls, false);
			nulls[2] = ' ';
			if (SPI_processed != 1)
				elog(ERROR, "woes.upsert_contact() returned no row");
			contact = copy_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			if (!have_contact)
				is_participant = false;
			have_contact = true;
		}

		if (have_found_conv)
			conv = found_conv;
		else
		{
			values[0] = channel;
			values[1] = contact;
			values[2] = thread_ref ? PointerGetDatum(thread_ref) : (Datum) 0;
			nulls[2] = thread_ref ? ' ' : 'n';
			values[3] = sent_at;
			run(P_CONVERSATION, values, nulls, false);
			nulls[2] = ' ';
			if (SPI_processed != 1)
				ereport(ERROR,
						(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
						 errmsg("the conversation of a new thread was not stored"),
						 errdetail("A trigger on woes.conversations skipped the row.")));
			conv = copy_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		}

		/*
		 * The message.  Its trigger reopens the conversation, or moves the
		 * message to a follow-up conversation if the thread's is closed.
		 */
		{
			/*
			 * Straight through the executor's single-row insert (see
			 * rowwriter.c): the message_intake trigger, the constraints,
			 * the indexes and the foreign-key checks all run as for an
			 * INSERT statement; the statement's own start-up and its
			 * policy check (an operator or admin may write any message of
			 * its workspace, and the trigger holds it to the context's
			 * workspace) do not.
			 */
			static Datum empty_array = (Datum) 0;
			Datum		mv[WOES_MESSAGE_NCOLUMNS];
			bool		mn[WOES_MESSAGE_NCOLUMNS];
			Datum		fv[WOES_MESSAGE_NCOLUMNS];
			bool		fn[WOES_MESSAGE_NCOLUMNS];
			bool		stored;
			int			i;

			if (empty_array == (Datum) 0)
			{
				MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

				empty_array = DirectFunctionCall1(jsonb_in, CStringGetDatum("[]"));
				MemoryContextSwitchTo(old);
			}
			for (i = 0; i < WOES_MESSAGE_NCOLUMNS; i++)
			{
				mv[i] = (Datum) 0;
				mn[i] = true;
			}
#define SETCOL(n, v) (mv[WOES_MESSAGE_COL_##n] = (v), mn[WOES_MESSAGE_COL_##n] = false)
			SETCOL(WORKSPACE_ID, UUIDPGetDatum((pg_uuid_t *) workspace));
			/* id: the assign_id trigger makes it */
			SETCOL(CONVERSATION_ID, conv);
			/* contact_id: the trigger fills it from the conversation */
			SETCOL(AUTHOR_KIND, CStringGetTextDatum("customer"));
			SETCOL(AUTHOR_ID, contact);
			SETCOL(VISIBILITY, CharGetDatum((char) WOES_VISIBILITY_PUBLIC));
			SETCOL(BODY, PointerGetDatum(body));
			SETCOL(ATTACHMENTS, empty_array);
			/* no grounding */
			SETCOL(CHANNEL, channel);
			SETCOL(EXTERNAL_ID, PointerGetDatum(external_id));
			SETCOL(CREATED_AT, sent_at);
#undef SETCOL
			(void) woes_insert_direct_ex(WOES_DIRECT_MESSAGES, mv, mn, false, true, &stored, fv, fn);
			if (stored)
			{
				message = fv[WOES_MESSAGE_COL_ID];
				conv = fv[WOES_MESSAGE_COL_CONVERSATION_ID];
			}
			else
			{
				/* a DBA's policy, statement trigger or grant on messages: the statement */
				Datum		qv[7] = {UUIDPGetDatum((pg_uuid_t *) workspace), conv,
				contact, PointerGetDatum(body), channel, PointerGetDatum(external_id), sent_at};

				run(P_MESSAGE, qv, NULL, false);
				if (SPI_processed != 1)
					ereport(ERROR,
							(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
							 errmsg("a trigger on woes.messages skipped a row woes writes")));
				message = copy_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
				conv = copy_uuid(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
			}
		}

		/* the sender takes part, in the conversation the message landed in */
		if (!is_participant || !have_found_conv ||
			!DatumGetBool(DirectFunctionCall2(uuid_eq, conv, found_conv)))
		{
			values[0] = conv;
			values[1] = contact;
			run(P_PARTICIPANT, values, nulls, false);
		}

		/*
		 * The thread keys lead to the conversation the message landed in: a
		 * closed thread written to again moved to a follow-up (every key
		 * goes there), and where a message id is itself a key (email), this
		 * message's id is a new one.  A known thread of one key that stayed
		 * put needs nothing.
		 */
		if (have_found_conv && !DatumGetBool(DirectFunctionCall2(uuid_eq, conv, found_conv)))
		{
			values[0] = found_conv;
			values[1] = conv;
			values[2] = UUIDPGetDatum((pg_uuid_t *) workspace);
			run(P_MOVE_KEYS, values, nulls, false);
		}
		if (own_key || !have_found_conv || !DatumGetBool(DirectFunctionCall2(uuid_eq, conv, found_conv)))
		{
			List	   *all = list_copy(keys);

			if (own_key)
			{
				char	   *own = text_to_cstring(external_id);
				char	   *end = own + strlen(own);

				/* btrim(external_message_id, ' <>') */
				while (*own == ' ' || *own == '<' || *own == '>')
					own++;
				while (end > own && (end[-1] == ' ' || end[-1] == '<' || end[-1] == '>'))
					end--;
				all = lappend(all, pnstrdup(own, end - own));
			}
			values[0] = channel;
			values[1] = conv;
			values[2] = text_array(all);
			run(P_ADD_KEYS, values, nulls, false);
		}
		result = message;
done:
		;
	}

	/* the id outlives SPI's memory */
	{
		pg_uuid_t  *out = SPI_palloc(UUID_LEN);

		memcpy(out, DatumGetUUIDP(result), UUID_LEN);
		SPI_finish();
		woes_pin_rules_end(rules_nestlevel);
		PG_RETURN_UUID_P(out);
	}
}

/*-------------------------------------------------------------------------
 *
 * intake.c
 *		woes.receive_message(): a customer message from a channel, placed in
 *		its thread's conversation, exactly once.
 *
 * The data path of a message into a known thread, which is nearly every
 * message: two transaction-scoped advisory locks (the delivery, the thread),
 * index probes for the channel, an earlier delivery, the sender's contact,
 * the thread's conversation and whether the sender is already a
 * participant (below), and the INSERT of the message (whose trigger
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

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
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

#include "compat.h"
#include "context.h"
#include "enums.h"
#include "errcodes.h"
#include "eventtime.h"
#include "ids.h"
#include "probe.h"
#include "rowwriter.h"
#include "scope.h"
#include "shards.h"

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

/* btrim(s, characters), as a new string */
static char *
trim_chars(const char *s, const char *characters)
{
	const char *end = s + strlen(s);

	while (*s != '\0' && strchr(characters, *s) != NULL)
		s++;
	while (end > s && strchr(characters, end[-1]) != NULL)
		end--;
	return pnstrdup(s, end - s);
}


/*
 * Direct index probes for the lookups of the hot path (probe.c).
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
 * goes through SQL, the policies and the triggers.  Where a module watches
 * the executor's permission checks or adds policies (pgaudit, sepgsql),
 * each probe runs as the query it stands for instead (probe.c).
 */
typedef enum Probe
{
	PR_CHANNEL,
	PR_MESSAGE,
	PR_IDENTITY,
	PR_THREAD,
	PR_PARTICIPANT,
	PR_COUNT
} Probe;

static WoesProbe probes[PR_COUNT] = {
	[PR_CHANNEL] = {"channels", {"name"}, 1, {"thread_keys", NULL}},
	[PR_MESSAGE] = {"messages", {"workspace_id", "channel", "external_id"}, 3, {"id", NULL}},
	[PR_IDENTITY] = {"identities", {"workspace_id", "channel", "external_id"}, 3, {"contact_id", NULL}},
	[PR_THREAD] = {"thread_refs", {"workspace_id", "channel", "ref"}, 3, {"conversation_id", "created_at"}},
	/* a customer's row: the other kinds' columns are NULL */
	[PR_PARTICIPANT] = {"participants", {"workspace_id", "conversation_id", "kind", "contact_id",
	"operator_id", "agent_id", "external_ref"}, 4, {"id", NULL}},
};

static inline bool
probe(Probe which, const Datum *keys, Snapshot snap, Datum *out, bool *out_null)
{
	return woes_probe(&probes[which], keys, snap, out, out_null);
}

/* a fresh statement-like snapshot: sees everything committed before the locks */
static Snapshot
fresh_snapshot(void)
{
	CommandCounterIncrement();
	return RegisterSnapshot(GetTransactionSnapshot());
}


/*
 * One delivery on its way in: its arguments, what the lookups found and
 * what the steps wrote.  woes_receive_message runs the steps below in
 * order; from check_arguments on, SPI is connected and row_security is
 * pinned.
 */
typedef struct Delivery
{
	/* the arguments (NULL, or (Datum) 0, where SQL NULL) */
	Datum		channel;		/* text */
	bool		channel_null;
	text	   *thread_ref;
	text	   *sender;
	text	   *body;
	text	   *external_id;
	bool		name_given;
	Datum		sender_name;	/* text, if name_given */
	bool		sent_null;
	Datum		sent_at;		/* timestamptz */
	pg_uuid_t	workspace;		/* the context's */
	/* the lock keys' parts */
	char	   *ws_text;
	char	   *channel_name;
	char	   *ext_text;
	/* the channel has a thread_keys function: a message id is a thread key */
	bool		own_key;
	List	   *keys;			/* the thread's keys (char *) */
	/* what the probes found under the thread lock */
	bool		have_contact;
	Datum		contact;		/* uuid */
	bool		have_found_conv;
	Datum		found_conv;		/* uuid: the thread's conversation */
	bool		is_participant; /* the sender takes part in found_conv */
	/* what was written */
	Datum		conv;			/* uuid: the conversation the message landed in */
	Datum		message;		/* uuid: the result, also of a redelivery */
} Delivery;

/* the arguments as given; sent_at left out is now() */
static void
read_arguments(FunctionCallInfo fcinfo, Delivery *d)
{
	memset(d, 0, sizeof(*d));
	d->channel_null = PG_ARGISNULL(0);
	d->channel = d->channel_null ? (Datum) 0 : PG_GETARG_DATUM(0);
	d->thread_ref = PG_ARGISNULL(1) ? NULL : PG_GETARG_TEXT_PP(1);
	d->sender = PG_ARGISNULL(2) ? NULL : PG_GETARG_TEXT_PP(2);
	d->body = PG_ARGISNULL(3) ? NULL : PG_GETARG_TEXT_PP(3);
	d->external_id = PG_ARGISNULL(4) ? NULL : PG_GETARG_TEXT_PP(4);
	d->name_given = PG_NARGS() > 5 && !PG_ARGISNULL(5);
	d->sender_name = d->name_given ? PG_GETARG_DATUM(5) : (Datum) 0;
	d->sent_null = PG_NARGS() > 6 ? PG_ARGISNULL(6) : false;
	d->sent_at = PG_NARGS() > 6 ? (d->sent_null ? (Datum) 0 : PG_GETARG_DATUM(6))
		: TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
}

/* the arguments, checked in the order of the documented errors */
static void
check_arguments(Delivery *d)
{
	Snapshot	snap;
	Datum		out[2];
	bool		out_null[2];

	if (d->channel_null)
		unknown_channel((Datum) 0, true);
	/* the channel first (its rows do not change under a delivery) */
	snap = fresh_snapshot();
	if (!probe(PR_CHANNEL, &d->channel, snap, out, out_null))
		unknown_channel(d->channel, false);
	d->own_key = !out_null[0];
	UnregisterSnapshot(snap);

	require_text(d->external_id, "external message id", "External Message Id", 512);
	require_text(d->sender, "sender external id", "Sender External Id", 512);
	if (d->thread_ref && text_chars(d->thread_ref) > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("invalid thread reference"),
				 errhint("At most 10000 characters.")));
	if (d->sent_null)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("sent_at must not be null"),
				 errhint("Pass the time the channel received the message, or leave it out for now().")));
	if (d->body == NULL || text_chars(d->body) > 100000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("invalid message body"),
				 errhint("A body is text of at most 100000 characters (it may be empty).")));
}

/*
 * find_earlier_delivery
 *		Whether this message was delivered before; then its id is the
 *		result and nothing is written.
 */
static bool
find_earlier_delivery(Delivery *d)
{
	Snapshot	snap;
	Datum		keys[3];
	Datum		out[2];
	bool		out_null[2];
	bool		found;

	d->ws_text = woes_uuid_text(&d->workspace);
	d->channel_name = TextDatumGetCString(d->channel);
	d->ext_text = text_to_cstring(d->external_id);

	/* one delivery at a time; then an earlier one is visible */
	lock_key(psprintf("woes.message %s %s %s", d->ws_text, d->channel_name, d->ext_text));
	snap = fresh_snapshot();
	keys[0] = UUIDPGetDatum(&d->workspace);
	keys[1] = d->channel;
	keys[2] = PointerGetDatum(d->external_id);
	found = probe(PR_MESSAGE, keys, snap, out, out_null);
	UnregisterSnapshot(snap);
	if (found)
		d->message = out[0];
	return found;
}

/*
 * A thread key as stored in woes.thread_refs: blanks around it do not
 * count, an empty one is no key, and one over 1000 bytes is refused here
 * (the table's CHECK counts characters, and a long multi-byte key would
 * overflow its index entry) rather than by a constraint error.
 */
static List *
add_thread_key(List *keys, char *key)
{
	if (key[0] == '\0')
		return keys;
	if (strlen(key) > 1000)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("invalid thread reference"),
				 errdetail("A thread key (a session, channel or thread id, or a Message-ID) is at most 1000 bytes.")));
	return lappend(keys, key);
}

/*
 * The thread's keys.  A channel with a thread_keys function (email)
 * threads by message ids: a first message has no reference, and its own
 * id is a key too.  Otherwise the reference is the one key.
 */
static void
find_thread_keys(Delivery *d)
{
	if (d->own_key)
	{
		Datum		kv[2];
		Datum		kd;
		bool		isnull;
		Datum	   *elems;
		bool	   *enulls;
		int			n,
					i;

		kv[0] = d->channel;
		kv[1] = d->thread_ref ? PointerGetDatum(d->thread_ref) : CStringGetTextDatum("");
		run(P_KEYS, kv, NULL, false);
		if (SPI_processed != 1)
			elog(ERROR, "woes.thread_keys() returned no row");
		kd = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		/* no keys (NULL): the thread is keyed by the message's own id */
		if (!isnull)
		{
			deconstruct_array(DatumGetArrayTypeP(kd), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &enulls, &n);
			for (i = 0; i < n; i++)
				if (!enulls[i])
					d->keys = add_thread_key(d->keys, TextDatumGetCString(elems[i]));
		}
	}
	else if (d->thread_ref)
	{
		d->keys = add_thread_key(NIL, trim_chars(text_to_cstring(d->thread_ref), " "));
	}
	if (d->keys == NIL && !d->own_key)
		ereport(ERROR,
				(errcode(ERRCODE_WOES_INVALID_ARGUMENT),
				 errmsg("a %s message needs a thread reference", d->channel_name),
				 errhint("Pass the chat session, channel or thread id as thread_ref.")));
}

/*
 * find_thread
 *		Under the thread's lock: the sender's contact, the thread's
 *		conversation and whether the sender takes part in it.
 */
static void
find_thread(Delivery *d)
{
	Snapshot	snap;
	Datum		k[4];
	Datum		out[2];
	bool		out_null[2];
	TimestampTz newest = 0;
	ListCell   *lc;

	/* one thread, one conversation: a thread's messages one at a time */
	lock_key(psprintf("woes.thread %s %s %s", d->ws_text, d->channel_name,
					  d->keys != NIL ? (char *) linitial(d->keys) : d->ext_text));
	snap = fresh_snapshot();
	k[0] = UUIDPGetDatum(&d->workspace);
	k[1] = d->channel;
	k[2] = PointerGetDatum(d->sender);
	k[3] = (Datum) 0;

	d->have_contact = probe(PR_IDENTITY, k, snap, out, out_null) && !out_null[0];
	if (d->have_contact)
		d->contact = out[0];

	/* the thread: the newest conversation any of its keys leads to */
	d->have_found_conv = false;
	foreach(lc, d->keys)
	{
		k[2] = CStringGetTextDatum((char *) lfirst(lc));
		if (probe(PR_THREAD, k, snap, out, out_null) && !out_null[0] &&
			(!d->have_found_conv || DatumGetTimestampTz(out[1]) > newest))
		{
			d->found_conv = out[0];
			newest = DatumGetTimestampTz(out[1]);
			d->have_found_conv = true;
		}
	}

	d->is_participant = false;
	if (d->have_contact && d->have_found_conv)
	{
		k[1] = d->found_conv;
		k[2] = CStringGetTextDatum("customer");
		k[3] = d->contact;
		d->is_participant = probe(PR_PARTICIPANT, k, snap, out, out_null);
	}
	UnregisterSnapshot(snap);
}

/* a new sender, or news about its name: upsert_contact */
static void
ensure_contact(Delivery *d)
{
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	bool		isnull;

	if (d->have_contact && !d->name_given)
		return;
	values[0] = d->channel;
	values[1] = PointerGetDatum(d->sender);
	values[2] = d->sender_name;
	nulls[2] = d->name_given ? ' ' : 'n';
	run(P_CONTACT, values, nulls, false);
	if (SPI_processed != 1)
		elog(ERROR, "woes.upsert_contact() returned no row");
	d->contact = woes_uuid_copy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (!d->have_contact)
		d->is_participant = false;
	d->have_contact = true;
}

typedef struct
{
	Datum	   *values;
	char	   *nulls;
} StatementArgs;

static void
insert_conversation(void *arg)
{
	StatementArgs *a = (StatementArgs *) arg;

	run(P_CONVERSATION, a->values, a->nulls, false);
}

/* the thread's conversation, or a new one for a new thread */
static void
ensure_conversation(Delivery *d)
{
	Datum		values[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};
	bool		isnull;

	if (d->have_found_conv)
	{
		d->conv = d->found_conv;
		return;
	}
	values[0] = d->channel;
	values[1] = d->contact;
	values[2] = d->thread_ref ? PointerGetDatum(d->thread_ref) : (Datum) 0;
	nulls[2] = d->thread_ref ? ' ' : 'n';
	values[3] = d->sent_at;
	/* created when its first message was sent (its history row too) */
	{
		StatementArgs args = {values, nulls};

		woes_event_time_run(Min(DatumGetTimestampTz(d->sent_at), GetCurrentTransactionStartTimestamp()),
							insert_conversation, &args);
	}
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("the conversation of a new thread was not stored"),
				 errdetail("A trigger on woes.conversations skipped the row.")));
	d->conv = woes_uuid_copy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* a DBA's policy, statement trigger or grant on messages: the statement */
static void
store_message_statement(Delivery *d)
{
	Datum		values[7];
	bool		isnull;

	values[0] = UUIDPGetDatum(&d->workspace);
	values[1] = d->conv;
	values[2] = d->contact;
	values[3] = PointerGetDatum(d->body);
	values[4] = d->channel;
	values[5] = PointerGetDatum(d->external_id);
	values[6] = d->sent_at;
	run(P_MESSAGE, values, NULL, false);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
				 errmsg("a trigger on woes.messages skipped a row woes writes")));
	d->message = woes_uuid_copy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	d->conv = woes_uuid_copy(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
}

/*
 * The message.  Its trigger reopens the conversation, or moves the message
 * to a follow-up conversation if the thread's is closed: conv becomes the
 * conversation it landed in.
 *
 * Straight through the executor's single-row insert (see rowwriter.c): the
 * message_intake trigger, the constraints, the indexes and the foreign-key
 * checks all run as for an INSERT statement; the statement's own start-up
 * and its policy check (an operator or admin may write any message of its
 * workspace, and the trigger holds it to the context's workspace) do not.
 */
static void
store_message(Delivery *d)
{
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
	SETCOL(WORKSPACE_ID, UUIDPGetDatum(&d->workspace));
	/* id: the assign_id trigger makes it */
	SETCOL(CONVERSATION_ID, d->conv);
	/* contact_id: the trigger fills it from the conversation */
	SETCOL(AUTHOR_KIND, CStringGetTextDatum("customer"));
	SETCOL(AUTHOR_ID, d->contact);
	SETCOL(VISIBILITY, CharGetDatum((char) WOES_VISIBILITY_PUBLIC));
	SETCOL(BODY, PointerGetDatum(d->body));
	SETCOL(ATTACHMENTS, empty_array);
	/* no grounding */
	SETCOL(CHANNEL, d->channel);
	SETCOL(EXTERNAL_ID, PointerGetDatum(d->external_id));
	SETCOL(CREATED_AT, d->sent_at);
#undef SETCOL
	(void) woes_insert_direct_ex(WOES_DIRECT_MESSAGES, mv, mn, false, true, &stored, fv, fn);
	if (!stored)
	{
		store_message_statement(d);
		return;
	}
	d->message = fv[WOES_MESSAGE_COL_ID];
	d->conv = fv[WOES_MESSAGE_COL_CONVERSATION_ID];
}

/* the message landed in the thread's conversation (not a new one or a follow-up) */
static bool
stayed_in_thread(const Delivery *d)
{
	return d->have_found_conv && woes_uuid_equal(DatumGetUUIDP(d->conv), DatumGetUUIDP(d->found_conv));
}

/* the sender takes part, in the conversation the message landed in */
static void
ensure_participant(Delivery *d)
{
	Datum		values[2];

	if (d->is_participant && stayed_in_thread(d))
		return;
	values[0] = d->conv;
	values[1] = d->contact;
	run(P_PARTICIPANT, values, NULL, false);
}

/*
 * The thread keys lead to the conversation the message landed in: a
 * closed thread written to again moved to a follow-up (every key goes
 * there), and where a message id is itself a key (email), this message's
 * id is a new one.  A known thread of one key that stayed put needs
 * nothing.
 */
static void
route_thread_keys(Delivery *d)
{
	Datum		values[3];
	List	   *all;

	if (d->have_found_conv && !stayed_in_thread(d))
	{
		values[0] = d->found_conv;
		values[1] = d->conv;
		values[2] = UUIDPGetDatum(&d->workspace);
		run(P_MOVE_KEYS, values, NULL, false);
	}
	if (!d->own_key && stayed_in_thread(d))
		return;
	all = list_copy(d->keys);
	if (d->own_key)
		all = add_thread_key(all, trim_chars(text_to_cstring(d->external_id), " <>"));
	values[0] = d->channel;
	values[1] = d->conv;
	values[2] = text_array(all);
	run(P_ADD_KEYS, values, NULL, false);
}

/*
 * receive_message(channel text, thread_ref text, sender_external_id text,
 *				   body text, external_message_id text,
 *				   sender_name text DEFAULT NULL, sent_at timestamptz DEFAULT now(),
 *				   workspace uuid DEFAULT woes.current_workspace())
 *		returns uuid: the message's id (the first delivery's, on a redelivery)
 *		workspace: the context's (see woes_forward_call)
 */
Datum
woes_receive_message(PG_FUNCTION_ARGS)
{
	Delivery	d;
	int			rules_nestlevel;
	pg_uuid_t  *result;

	read_arguments(fcinfo, &d);
	woes_require_audience(WOES_AUDIENCE_BIT(WOES_AUDIENCE_OPERATOR) |
						  WOES_AUDIENCE_BIT(WOES_AUDIENCE_ADMIN),
						  "receiving a message");
	/* a copy: nothing the statements below fire can move it */
	d.workspace = *woes_context_workspace();
	{
		/* on a Citus coordinator: the whole call on the tenant's worker */
		Datum		forwarded;
		bool		forwarded_null;

		if (woes_forward_call(fcinfo, &d.workspace, &forwarded, &forwarded_null))
			PG_RETURN_DATUM(forwarded);
	}

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
	check_arguments(&d);
	if (!find_earlier_delivery(&d))
	{
		find_thread_keys(&d);
		find_thread(&d);
		ensure_contact(&d);
		ensure_conversation(&d);
		store_message(&d);
		ensure_participant(&d);
		route_thread_keys(&d);
	}

	/* the id outlives SPI's memory */
	result = SPI_palloc(UUID_LEN);
	memcpy(result, DatumGetUUIDP(d.message), UUID_LEN);
	SPI_finish();
	woes_pin_rules_end(rules_nestlevel);
	PG_RETURN_UUID_P(result);
}

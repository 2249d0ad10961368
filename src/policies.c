/*-------------------------------------------------------------------------
 *
 * policies.c
 *		Which row-level security policies of a woes table are woes's own,
 *		as woes defined them.
 *
 * A direct path (the intake's message insert, a conversation's update, the
 * context check's probes) stands for a statement of the caller's only
 * where the statement's policies could add nothing to what woes's rules
 * already decided: every policy that judges the command is one woes made,
 * for every role, with the expressions woes gave it.  A DBA's policy, or
 * one of woes's narrowed to some roles or rewritten by ALTER POLICY, sends
 * the path to the statement, which judges by the policies in force.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_policy.h"
#include "commands/comment.h"
#include "commands/policy.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "rewrite/rowsecurity.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "policies.h"
#include "scope.h"

PG_FUNCTION_INFO_V1(woes_policy_fingerprint_sql);

/* how a woes policy's comment starts, and the line that ends it */
#define WOES_OWN_POLICY_MARK "Defined by woes."
#define WOES_FINGERPRINT_TAG "\nwoes fingerprint: "

/*
 * The settings that change how an expression is printed, pinned while a
 * fingerprint is taken (as pg_dump pins them), so that no session's
 * choice moves it: the schemas a name is printed with, quoting, how
 * string, date, interval, float and bytea constants print.
 */
static const char *const fingerprint_settings[][2] = {
	{"search_path", WOES_PINNED_SEARCH_PATH},
	{"quote_all_identifiers", "off"},
	{"standard_conforming_strings", "on"},
	{"DateStyle", "ISO, MDY"},
	{"IntervalStyle", "postgres"},
	{"TimeZone", "UTC"},
	{"extra_float_digits", "3"},
	{"bytea_output", "hex"},
	{"lc_monetary", "C"},
};

/* does this comment (NULL: none) say the policy is woes's? */
static bool
marked_woes(const char *comment)
{
	return comment != NULL && strncmp(comment, WOES_OWN_POLICY_MARK, strlen(WOES_OWN_POLICY_MARK)) == 0;
}

/*
 * The permissive policies of a table that are marked woes's.  Part of each
 * fingerprint: a woes policy a DBA dropped (which narrows what the
 * statements admit, as a rewritten one does) changes it for every woes
 * policy left on the table.  Restrictive ones are not counted: dropping
 * one only widens what the statements admit, never what a direct path
 * does (woes's workspace rule holds there whatever the policies say), and
 * woes.distribute() drops the restrictive isolation policy on Citus.
 */
static int
permissive_woes_policies(Relation catalog, Oid relid)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			n = 0;

	ScanKeyInit(&key, Anum_pg_policy_polrelid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(catalog, PolicyPolrelidPolnameIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tuple = systable_getnext(scan)))
	{
		Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tuple);
		char	   *comment;

		if (!pol->polpermissive)
			continue;
		comment = GetComment(pol->oid, PolicyRelationId, 0);
		if (marked_woes(comment))
			n++;
		if (comment)
			pfree(comment);
	}
	systable_endscan(scan);
	return n;
}

/* pg_get_expr(expr, relid); NULL where it gives NULL (the table is gone) */
static char *
print_expr(Datum expr, Oid relid)
{
	LOCAL_FCINFO(fcinfo, 2);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 2, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = expr;
	fcinfo->args[0].isnull = false;
	fcinfo->args[1].value = ObjectIdGetDatum(relid);
	fcinfo->args[1].isnull = false;
	result = pg_get_expr(fcinfo);
	return fcinfo->isnull ? NULL : TextDatumGetCString(result);
}

/*
 * woes_policy_fingerprint
 *		The digest (SHA-256, hex) of a policy as woes defines it: its
 *		command, whether it is permissive, how many permissive woes policies
 *		its table has (permissive_woes_policies), and its expressions as
 *		pg_get_expr prints them under fingerprint_settings:
 *		"FOR <polcmd> AS PERMISSIVE|RESTRICTIVE OF <n>\nUSING <qual>\nWITH
 *		CHECK <check>" ("-" for an expression it lacks).  NULL for no such policy (or
 *		its table dropped meanwhile).  The SQL function
 *		woes.policy_fingerprint(oid) is this function: the scripts stamp
 *		with the very digest compared here.  SHA-256, not md5, which a
 *		server in FIPS mode refuses.
 *
 *		Printed, not the stored node trees: those carry each token's
 *		position in the statement that created the policy, which a dump
 *		and restore changes; pg_dump re-creates a policy from the printed
 *		expression, which prints again the same.  (A major version that
 *		printed an expression differently would send the direct paths to
 *		the statements until the policy is stamped again: woes.doctor()'s
 *		policies_as_defined names it, and woes.stamp_policy() stamps it.)
 *		What the text names is not covered: a woes function replaced by
 *		CREATE OR REPLACE is woes changed, by its owner.
 */
char *
woes_policy_fingerprint(Oid policy)
{
	Relation	catalog;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	Oid			relid = InvalidOid;
	char		cmd = 0;
	bool		permissive = false;
	int			siblings = 0;
	Datum		exprs[2] = {0, 0};
	bool		nulls[2] = {true, true};
	StringInfoData printed;
	pg_cryptohash_ctx *hash;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex;
	bool		gone = false;
	int			nestlevel;
	int			i;

	catalog = table_open(PolicyRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_policy_oid, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(policy));
	scan = systable_beginscan(catalog, PolicyOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		relid = ((Form_pg_policy) GETSTRUCT(tuple))->polrelid;
		cmd = ((Form_pg_policy) GETSTRUCT(tuple))->polcmd;
		permissive = ((Form_pg_policy) GETSTRUCT(tuple))->polpermissive;
		exprs[0] = heap_getattr(tuple, Anum_pg_policy_polqual, RelationGetDescr(catalog), &nulls[0]);
		exprs[1] = heap_getattr(tuple, Anum_pg_policy_polwithcheck, RelationGetDescr(catalog), &nulls[1]);
		for (i = 0; i < 2; i++)
			if (!nulls[i])
				exprs[i] = PointerGetDatum(DatumGetTextPCopy(exprs[i]));
	}
	systable_endscan(scan);
	if (OidIsValid(relid))
		siblings = permissive_woes_policies(catalog, relid);
	table_close(catalog, AccessShareLock);
	if (!OidIsValid(relid))
		return NULL;

	nestlevel = NewGUCNestLevel();
	for (i = 0; i < (int) lengthof(fingerprint_settings); i++)
		(void) set_config_option(fingerprint_settings[i][0], fingerprint_settings[i][1], PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	initStringInfo(&printed);
	appendStringInfo(&printed, "FOR %c AS %s OF %d\n", cmd, permissive ? "PERMISSIVE" : "RESTRICTIVE", siblings);
	for (i = 0; i < 2 && !gone; i++)
	{
		char	   *shown = nulls[i] ? "-" : print_expr(exprs[i], relid);

		appendStringInfoString(&printed, i == 0 ? "USING " : "\nWITH CHECK ");
		if (shown == NULL)
			gone = true;
		else
			appendStringInfoString(&printed, shown);
	}
	AtEOXact_GUC(true, nestlevel);
	if (gone)
	{
		pfree(printed.data);
		return NULL;
	}

	hash = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(hash) < 0 ||
		pg_cryptohash_update(hash, (uint8 *) printed.data, printed.len) < 0 ||
		pg_cryptohash_final(hash, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute a policy's fingerprint: %s", pg_cryptohash_error(hash));
	pg_cryptohash_free(hash);
	hex = palloc(PG_SHA256_DIGEST_STRING_LENGTH);
	hex[hex_encode((const char *) digest, sizeof(digest), hex)] = '\0';
	pfree(printed.data);
	return hex;
}

/* woes.policy_fingerprint(oid): NULL for no such policy */
Datum
woes_policy_fingerprint_sql(PG_FUNCTION_ARGS)
{
	char	   *digest = woes_policy_fingerprint(PG_GETARG_OID(0));

	if (digest == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(digest));
}

/*
 * policy_is_woes_own
 *		Is this policy of the table one the extension made, as it made it?
 *		Its COMMENT says so: every policy woes creates carries one that
 *		starts with WOES_OWN_POLICY_MARK (src/sql writes it with the policy)
 *		and ends with the fingerprint of its expressions
 *		(WOES_FINGERPRINT_TAG, then woes_policy_fingerprint's digest, written
 *		by woes.stamp_policy: the install script calls it last, over every
 *		policy it made), compared here with the expressions in force.
 *
 *		Why the comment, and not:
 *		- the policies' names, listed here: the list had to match the SQL by
 *		  hand (a rename there sent every intake to the slow path without a
 *		  word), and a policy a DBA dropped and created again under woes's
 *		  name was taken for woes's;
 *		- pg_depend: PostgreSQL records no extension membership for a policy
 *		  (no deptype 'e', and ALTER EXTENSION ... ADD takes no policy);
 *		- the OIDs of the policies CREATE EXTENSION made, kept in a table:
 *		  they change in a dump and restore, and every upgrade script would
 *		  have to maintain them.
 *		The comment travels with the policy itself: a rename keeps it, a
 *		restore re-creates it with the install script's policies, and a
 *		policy dropped and created again lacks it until someone writes it.
 *		A DBA's policy has none (or its own words), so it sends the write
 *		to the SQL statement.  The fingerprint is what a comment alone could
 *		not tell: ALTER POLICY keeps the comment, and a woes policy whose
 *		USING or WITH CHECK a DBA rewrote is no longer the one the direct
 *		paths stand for; its expressions no longer match the digest, so the
 *		statement runs and judges by them.  So does a woes policy dropped:
 *		the count of its table's permissive woes policies, in every other
 *		one's digest, no longer matches.  Read only when the binding is
 *		built, not per row (ALTER and DROP POLICY invalidate the table's
 *		relcache, and with it the binding).  COMMENT ON POLICY does not, but a comment
 *		changed later only moves a policy whose expressions the binding has
 *		already judged, so a stale answer is never less careful than the
 *		policies in force.
 */
static bool
policy_is_woes_own(Oid relid, const char *policy_name)
{
	Oid			policy = get_relation_policy_oid(relid, policy_name, true);
	char	   *comment;
	char	   *stamp;
	char	   *fingerprint;
	bool		own;

	if (!OidIsValid(policy))
		return false;
	comment = GetComment(policy, PolicyRelationId, 0);
	if (!marked_woes(comment))
		return false;
	/* the comment ends with the tag and the digest of the expressions in force */
	fingerprint = woes_policy_fingerprint(policy);
	if (fingerprint == NULL)
		return false;
	stamp = psprintf("%s%s", WOES_FINGERPRINT_TAG, fingerprint);
	own = strlen(comment) >= strlen(stamp) &&
		strcmp(comment + strlen(comment) - strlen(stamp), stamp) == 0;
	pfree(stamp);
	pfree(fingerprint);
	pfree(comment);
	return own;
}

/*
 * woes_policies_own
 *		Is every policy of the table that judges one of these commands
 *		(pg_policy.polcmd letters; a policy FOR ALL judges them all) woes's
 *		own, and for every role, as woes makes them?  Read when a binding is
 *		built, not per row.
 */
bool
woes_policies_own(Relation rel, const char *cmds)
{
	ListCell   *lc;
	const char *cmd;

	if (rel->rd_rsdesc == NULL)
		return true;

	/*
	 * A command no permissive policy judges: under forced row-level security
	 * the statement admits no row at all, which no direct path could stand
	 * for.  (Every woes policy dropped, the restrictive one too, leaves no
	 * fingerprint to mismatch; this is what tells.)
	 */
	for (cmd = cmds; *cmd; cmd++)
	{
		bool		judged = false;

		foreach(lc, rel->rd_rsdesc->policies)
		{
			RowSecurityPolicy *pol = (RowSecurityPolicy *) lfirst(lc);

			if (pol->permissive && (pol->polcmd == '*' || pol->polcmd == *cmd))
			{
				judged = true;
				break;
			}
		}
		if (!judged)
			return false;
	}

	foreach(lc, rel->rd_rsdesc->policies)
	{
		RowSecurityPolicy *pol = (RowSecurityPolicy *) lfirst(lc);

		if (pol->polcmd != '*' && strchr(cmds, pol->polcmd) == NULL)
			continue;
		/* woes's apply to every role: one narrowed TO some roles is not as woes made it */
		if (ARR_NDIM(pol->roles) != 1 || ARR_DIMS(pol->roles)[0] != 1 || ARR_HASNULL(pol->roles) ||
			((Oid *) ((char *) pol->roles + ARR_OVERHEAD_NONULLS(1)))[0] != ACL_ID_PUBLIC ||
			!policy_is_woes_own(RelationGetRelid(rel), pol->policy_name))
			return false;
	}
	return true;
}


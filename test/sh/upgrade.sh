#!/usr/bin/env bash
# The upgrade path: a database made with a released install script
# (releases/woes--V.sql, kept as released), filled through that release's API
# and updated with ALTER EXTENSION woes UPDATE, equals a database where the
# version in development (default_version) was installed fresh, keeps its
# data, and works.  Done for every kept release (today 0.1.0).
#
#   A  (one per release V) CREATE EXTENSION woes VERSION 'V'; two workspaces
#      with operators, teams, agents, contacts, conversations on four
#      channels (intake and start_conversation), replies, notes, an agent's
#      sources and trace, status changes (resolve, reopen, pending, snooze,
#      close), a handoff (request_handoff, take_over), a redaction, a site
#      channel and a role binding; every table non-empty.  Then ALTER
#      EXTENSION woes UPDATE (to default_version).
#   B  CREATE EXTENSION woes, in a new database.
#
# Compared with diff; any difference fails the test and is printed:
#   - the catalogs of A and B: a text snapshot, sorted by name (never by OID
#     or creation order), of everything the extension defines:
#       the extension (version, schema, owner); its dump registrations
#       (extconfig as names, extcondition); its members (pg_depend 'e', as
#       pg_describe_object); the schema (owner, nspacl); relations (kind,
#       owner, relacl, reloptions, persistence, row security, replica
#       identity, partitioning, view definitions); columns in table order
#       (type, not null, default, identity, generated, collation, statistics
#       target, storage, compression, options, attacl); constraints
#       (pg_get_constraintdef); indexes (pg_get_indexdef); policies
#       (permissive or restrictive, command, roles, USING, WITH CHECK);
#       triggers (pg_get_triggerdef, enabled); rules; sequences (options,
#       owning column); functions (signature, arguments with defaults,
#       result, language, source or C symbol and library, volatility,
#       strictness, security definer, leakproof, parallel, cost, rows,
#       support function, proconfig, owner, proacl); aggregates; types (I/O,
#       receive/send, typmod and analyze functions, length, alignment,
#       storage, category, array type, typacl); operators; operator families
#       (their operators and support functions) and classes; casts;
#       statistics objects; default privileges in the schema; comments on
#       every object the extension owns (its members and what depends on
#       them: columns, constraints, indexes, policies, triggers); and
#       pg_init_privs (the privileges pg_dump treats as the extension's own).
#     Privileges are compared as sorted aclitems, a NULL acl as the owner's
#     default.  Column order counts: a column an upgrade script adds goes at
#     the end of its table, so the sources must add it there too.
#   - in A, before and after the update: the row count and an md5 digest of
#     every row of every woes table (over the columns the table had before
#     the update; as the superuser with row_security off), the sequences,
#     and the per-role settings (the role binding's default context).  An
#     upgrade that rewrites data on purpose must say so here (moved, below).
# Then, on each upgraded A: extversion is default_version, woes.doctor() is
# clean, the bound role still gets its context, and the API works (a
# context, an intake, take_over, resolve, the outbox through events_since).
#   C  (one per release V) CREATE EXTENSION woes VERSION 'V', one of woes's
#      policies rewritten by ALTER POLICY, ALTER EXTENSION woes UPDATE: the
#      update does not vouch for the rewritten policy (its comment's
#      fingerprint is 'none'), and woes.doctor() names it and nothing else.
#
# Runs against the cluster in PG* as a superuser, with the extension
# installed (make install); makes and drops its own databases and roles.
# Exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/../.."

current=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" woes.control)
releases=$(ls releases/woes--*.sql 2>/dev/null | sed -E 's/.*woes--(.*)\.sql$/\1/' | sort -V || true)
b="woes_upgrade_fresh_$$"
work="$(mktemp -d /tmp/woes_upgrade.XXXXXX)"
failures=()
databases="$b"

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
    local d
    rm -rf "$work"
    for d in $databases; do psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1 || true; done
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS woes_upgrade_bi" -c "DROP ROLE IF EXISTS woes_upgrade_app" \
         -c "DROP ROLE IF EXISTS woes_upgrade_admin" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failures+=("$*"); }

[ -n "$releases" ] || { echo "FAIL: no kept release script in releases/"; exit 1; }

# populate DB VERSION: install that release in DB and fill it through its API
populate() {
    local db=$1 slug
    q -d "$db" <<SQL
CREATE EXTENSION woes VERSION '$2';
DO \$\$
BEGIN
    -- the application (woes_service), an administrator (woes_admin) and a
    -- BI tool's login role (woes_analyst only: a member of woes_service
    -- could not be bound)
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_upgrade_app') THEN
        CREATE ROLE woes_upgrade_app NOLOGIN IN ROLE woes_service;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_upgrade_admin') THEN
        CREATE ROLE woes_upgrade_admin NOLOGIN IN ROLE woes_admin;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_upgrade_bi') THEN
        CREATE ROLE woes_upgrade_bi LOGIN IN ROLE woes_analyst;
    END IF;
END;
\$\$;
-- a channel added by the site (a row of a table registered for dumps)
INSERT INTO woes.channels (name, description) VALUES ('sms', 'SMS gateway; thread reference: the phone number');
SET ROLE woes_upgrade_app;
SELECT woes.create_workspace('upgrade-one', 'Upgrade One') \g /dev/null
SELECT woes.create_workspace('upgrade-two', 'Upgrade Two') \g /dev/null
SQL

    # the same story in both workspaces
    for slug in upgrade-one upgrade-two; do
        q -d "$db" -v slug="$slug" <<'SQL' >/dev/null
SELECT id AS ws FROM woes.workspaces WHERE slug = :'slug' \gset

-- people, as an administrator
SET ROLE woes_upgrade_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.add_operator('Olga', 'olga@' || :'slug' || '.test') AS olga \gset
SELECT woes.add_operator('Piet', 'piet@' || :'slug' || '.test') AS piet \gset
SELECT woes.add_team('Billing') AS billing \gset
SELECT woes.add_team_member(:'billing', :'olga'), woes.add_team_member(:'billing', :'piet');
SELECT woes.add_agent('Helper', ARRAY['live_chat']) AS helper \gset
SELECT woes.upsert_contact('email', 'carol@example.com', 'Carol', 'carol@example.com') AS carol \gset
COMMIT;

-- intake on four channels, as the application
SET ROLE woes_upgrade_app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'I cannot log in.', 'lc-1', 'Vera') AS chat_msg \gset
SELECT woes.receive_message('email', NULL, 'carol@example.com', 'Invoice 117, please.', '<m1@carol.example>') AS mail_msg \gset
SELECT woes.receive_message('discord', 'thread-9', '80351110224678912', 'The bot is down.', 'dc-1', 'Dave') AS discord_msg \gset
SELECT woes.receive_message('sms', '+15550100', '+15550100', 'Where is my order?', 'sms-1') AS sms_msg \gset
SELECT woes.receive_message('email', '<m1@carol.example>', 'carol@example.com', 'Any news?', '<m2@carol.example>') \gset
SELECT woes.receive_message('live_chat', 'chat-1', 'visitor-1', 'I cannot log in.', 'lc-1', 'Vera') \gset
SELECT (SELECT conversation_id FROM woes.messages WHERE id = :'chat_msg') AS chat,
       (SELECT contact_id FROM woes.messages WHERE id = :'chat_msg') AS vera,
       (SELECT conversation_id FROM woes.messages WHERE id = :'mail_msg') AS mail,
       (SELECT conversation_id FROM woes.messages WHERE id = :'discord_msg') AS discord,
       (SELECT conversation_id FROM woes.messages WHERE id = :'sms_msg') AS sms \gset
COMMIT;

-- an outbound conversation, started by an operator
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.start_conversation(:'carol', 'email', 'Your renewal', 'Your plan renews next week.') AS outbound \gset
COMMIT;

-- the agent answers the chat with sources and a trace, and suggests
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'helper');
SELECT woes.reply(:'chat', 'Try the reset link.', grounding => '[{"url": "https://help.test/reset"}]',
                  trace => '{"retrieved": ["kb/reset"], "score": 0.8}');
SELECT woes.add_note(:'chat', 'Suggestion: the account may be locked.');
COMMIT;

-- the customer asks for a person; Olga takes over and answers
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'vera');
SELECT woes.request_handoff(:'chat', 'a person, please');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga');
SELECT woes.take_over(:'chat');
SELECT woes.reply(:'chat', 'Olga here: I unlocked your account.');
SELECT woes.add_note(:'chat', 'Locked after five attempts.');
SELECT woes.resolve(:'chat', 'unlocked');
-- the other conversations move through the lifecycle
SELECT woes.reply(:'mail', 'Here is invoice 117.');
SELECT woes.resolve(:'mail', 'invoice sent');
SELECT woes.reopen(:'mail', 'Carol wrote back');
SELECT woes.set_pending(:'mail', 'asked Carol for the order number');
SELECT woes.snooze(:'discord', now() + interval '1 day', 'waiting for the deploy');
SELECT woes.add_note(:'sms', 'Order 5512: shipped yesterday.');
SELECT woes.close(:'sms', 'answered by phone');
SELECT woes.redact_message(:'discord_msg', 'contained a token');
-- 0.1.0 kept custom fields as a JSON column of the conversation, written raw
UPDATE woes.conversations
   SET custom_fields = '{"plan": "pro", "seats": 25, "vip": true, "areas": ["billing", "login"]}'
 WHERE id = :'mail';
UPDATE woes.conversations SET custom_fields = '{"plan": "free"}' WHERE id = :'chat';
COMMIT;
SQL
    done

    # a role binding for the BI tool's login role
    q -d "$db" <<'SQL' >/dev/null
SELECT id AS ws FROM woes.workspaces WHERE slug = 'upgrade-one' \gset
SET ROLE woes_upgrade_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.bind_role('woes_upgrade_bi', :'ws', 'analyst');
COMMIT;
SQL
}

# columns DB: "table column, column, ..." for every table of schema woes
columns() {
    qa -d "$1" -c "
        SELECT c.relname || ' ' || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
          FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'p')
         GROUP BY c.relname ORDER BY c.relname"
}

# Columns an upgrade moves on purpose: where their values are read after
# it (an expression over the row "t" of the table they left).
declare -A moved=(
    # 0.2.0: the conversation counter is a row of woes.workspace_counters
    [workspaces.last_conversation_number]="coalesce((SELECT k.last_conversation_number FROM woes.workspace_counters k WHERE k.workspace_id = t.id), 0) AS last_conversation_number"
    # 0.2.0: custom field values are rows of woes.conversation_fields
    [conversations.custom_fields]="(SELECT coalesce(jsonb_object_agg(v.key, v.value), '{}') FROM woes.conversation_fields v WHERE v.workspace_id = t.workspace_id AND v.conversation_id = t.id) AS custom_fields"
)

# data DB COLUMNS-FILE [after]: every table listed (over the listed
# columns; after the update, a moved column read where it went) with its
# row count and a digest of all its rows, as the superuser with
# row_security off (every row); every sequence; the per-role settings in
# the database.
data() {
    local t cols c list
    {
        echo "SET row_security = off;"
        while read -r t cols; do
            list=""
            for c in ${cols//,/ }; do
                if [ "${3:-}" = after ] && [ -n "${moved[$t.$c]:-}" ]; then c=${moved[$t.$c]}; else c="t.$c"; fi
                list="${list:+$list, }$c"
            done
            echo "SELECT 'table $t ' || count(*) || ' rows, ' || coalesce(md5(string_agg(r::text, ',' ORDER BY r::text)), 'empty')"
            echo "  FROM (SELECT $list FROM woes.$t AS t) r;"
        done < "$2"
        cat <<'SQL'
SELECT 'sequence ' || c.relname || ' at ' || (xpath('/row/d/text()', query_to_xml(format(
           'SELECT last_value || ''/'' || is_called AS d FROM woes.%I', c.relname), false, true, '')))[1]::text
  FROM pg_class c
 WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'S'
 ORDER BY c.relname;
SELECT 'role setting ' || s.setrole::regrole || ' ' || array_to_string(s.setconfig, ' ')
  FROM pg_db_role_setting s
 WHERE s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY 1;
SQL
    } | qa -d "$1"
}

# The text snapshot of everything the extension defines (see the header);
# sorted by section and name, one record per object, its attributes on
# indented lines below.
catalog() {
    qa -d "$1" <<'SQL'
SET search_path = pg_catalog;   -- every name outside pg_catalog comes qualified
CREATE FUNCTION pg_temp.acl(a aclitem[], kind "char", owner oid) RETURNS text
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(string_agg(i::text, ' ' ORDER BY i::text COLLATE "C"), '(none)')
              FROM unnest(coalesce(a, acldefault(kind, owner))) i);
CREATE FUNCTION pg_temp.acl(a aclitem[]) RETURNS text
    LANGUAGE sql STABLE
    RETURN (SELECT coalesce(string_agg(i::text, ' ' ORDER BY i::text COLLATE "C"), '(none)')
              FROM unnest(a) i);
CREATE FUNCTION pg_temp.lines(VARIADIC kv text[]) RETURNS text
    LANGUAGE sql IMMUTABLE
    -- name/value pairs as indented lines; a value's own lines indented further
    RETURN (SELECT string_agg(format('    %s: %s', kv[2 * i - 1],
                                     replace(coalesce(kv[2 * i], '(null)'), E'\n', E'\n        ')), E'\n' ORDER BY i)
              FROM generate_series(1, array_length(kv, 1) / 2) i);

CREATE TEMP VIEW ext AS SELECT e.oid, e.extnamespace AS nsp FROM pg_extension e WHERE e.extname = 'woes';
-- what the extension owns: its members and, recursively, what depends on them
-- automatically or internally (indexes, constraints, policies, triggers,
-- row and array types, rules, defaults)
CREATE TEMP TABLE owned AS
WITH RECURSIVE o (classid, objid) AS (
    SELECT 'pg_extension'::regclass::oid, (SELECT oid FROM ext)
    UNION
    SELECT 'pg_namespace'::regclass::oid, (SELECT nsp FROM ext)
    UNION
    SELECT d.classid, d.objid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION
    SELECT d.classid, d.objid FROM pg_depend d JOIN o ON d.refclassid = o.classid AND d.refobjid = o.objid
     WHERE d.deptype IN ('a', 'i')
)
SELECT * FROM o;

CREATE TEMP TABLE snap (section text, key text, body text);

-- the extension, its dump registrations and its members
INSERT INTO snap
SELECT 'extension', e.extname,
       pg_temp.lines('version', e.extversion, 'schema', e.extnamespace::regnamespace::text,
                     'relocatable', e.extrelocatable::text, 'owner', e.extowner::regrole::text)
  FROM pg_extension e WHERE e.extname = 'woes';
INSERT INTO snap
SELECT 'dump registration', c.rel::regclass::text, pg_temp.lines('condition', c.cond)
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) AS c (rel, cond)
 WHERE e.extname = 'woes';
INSERT INTO snap
SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid), NULL
  FROM pg_depend d, ext
 WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e';

-- the schema
INSERT INTO snap
SELECT 'schema', n.nspname,
       pg_temp.lines('owner', n.nspowner::regrole::text, 'acl', pg_temp.acl(n.nspacl, 'n', n.nspowner),
                     'comment', obj_description(n.oid, 'pg_namespace'))
  FROM pg_namespace n, ext WHERE n.oid = ext.nsp;

-- relations (tables, views, sequences, composite types; indexes below)
INSERT INTO snap
SELECT 'relation', c.relname,
       pg_temp.lines('kind', c.relkind::text, 'owner', c.relowner::regrole::text,
                     'acl', pg_temp.acl(c.relacl, (CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner),
                     'options', c.reloptions::text, 'persistence', c.relpersistence::text,
                     'access method', (SELECT amname FROM pg_am WHERE oid = c.relam),
                     'row security', c.relrowsecurity::text, 'forced row security', c.relforcerowsecurity::text,
                     'replica identity', c.relreplident::text,
                     'partition key', pg_get_partkeydef(c.oid),
                     'partition of', (SELECT i.inhparent::regclass::text || ' ' || pg_get_expr(c.relpartbound, c.oid)
                                        FROM pg_inherits i WHERE i.inhrelid = c.oid),
                     'view definition', CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
                     'comment', obj_description(c.oid, 'pg_class'))
  FROM pg_class c, ext
 WHERE c.relnamespace = ext.nsp AND c.relkind NOT IN ('i', 'I');

-- columns, in table order (live columns only: an upgraded table may hold
-- dropped ones)
INSERT INTO snap
SELECT 'column', c.relname || '.' || a.attname,
       pg_temp.lines('position', (row_number() OVER (PARTITION BY c.oid ORDER BY a.attnum))::text,
                     'type', format_type(a.atttypid, a.atttypmod), 'not null', a.attnotnull::text,
                     'default', pg_get_expr(ad.adbin, ad.adrelid),
                     'identity', nullif(a.attidentity, '')::text, 'generated', nullif(a.attgenerated, '')::text,
                     'collation', (SELECT collname FROM pg_collation WHERE oid = a.attcollation),
                     'statistics target', a.attstattarget::text,
                     'storage', a.attstorage::text, 'compression', nullif(a.attcompression, '')::text,
                     -- (not pg_attver: this server stamps every column
                     -- with the WAL position of its creation)
                     'options', (SELECT array_agg(o ORDER BY o COLLATE "C") FROM unnest(a.attoptions) o
                                  WHERE o NOT LIKE 'pg\_attver=%')::text,
                     'acl', pg_temp.acl(a.attacl), 'comment', col_description(c.oid, a.attnum))
  FROM pg_class c JOIN ext ON c.relnamespace = ext.nsp
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
 WHERE c.relkind NOT IN ('i', 'I', 'S');

-- constraints of tables and domains
INSERT INTO snap
SELECT 'constraint', coalesce(r.relname, t.typname) || '.' || k.conname,
       pg_temp.lines('type', k.contype::text, 'definition', pg_get_constraintdef(k.oid),
                     'comment', obj_description(k.oid, 'pg_constraint'))
  FROM pg_constraint k JOIN ext ON k.connamespace = ext.nsp
  LEFT JOIN pg_class r ON r.oid = k.conrelid
  LEFT JOIN pg_type t ON t.oid = k.contypid;

-- indexes
INSERT INTO snap
SELECT 'index', c.relname,
       pg_temp.lines('definition', pg_get_indexdef(c.oid), 'table', i.indrelid::regclass::text,
                     'clustered', i.indisclustered::text, 'replica identity', i.indisreplident::text,
                     'valid', i.indisvalid::text, 'comment', obj_description(c.oid, 'pg_class'))
  FROM pg_class c JOIN ext ON c.relnamespace = ext.nsp
  JOIN pg_index i ON i.indexrelid = c.oid;

-- policies
INSERT INTO snap
SELECT 'policy', r.relname || '.' || p.polname,
       pg_temp.lines('as', CASE WHEN p.polpermissive THEN 'permissive' ELSE 'restrictive' END,
                     'command', p.polcmd::text,
                     'roles', (SELECT string_agg(CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END, ', '
                                                 ORDER BY CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END COLLATE "C")
                                 FROM unnest(p.polroles) x),
                     'using', pg_get_expr(p.polqual, p.polrelid),
                     'with check', pg_get_expr(p.polwithcheck, p.polrelid),
                     'comment', obj_description(p.oid, 'pg_policy'))
  FROM pg_policy p JOIN pg_class r ON r.oid = p.polrelid JOIN ext ON r.relnamespace = ext.nsp;

-- triggers (not the internal ones of foreign keys: the constraints cover them)
INSERT INTO snap
SELECT 'trigger', r.relname || '.' || g.tgname,
       pg_temp.lines('definition', pg_get_triggerdef(g.oid), 'enabled', g.tgenabled::text,
                     'comment', obj_description(g.oid, 'pg_trigger'))
  FROM pg_trigger g JOIN pg_class r ON r.oid = g.tgrelid JOIN ext ON r.relnamespace = ext.nsp
 WHERE NOT g.tgisinternal;

-- rules (other than views' own)
INSERT INTO snap
SELECT 'rule', r.relname || '.' || w.rulename,
       pg_temp.lines('definition', pg_get_ruledef(w.oid), 'enabled', w.ev_enabled::text,
                     'comment', obj_description(w.oid, 'pg_rewrite'))
  FROM pg_rewrite w JOIN pg_class r ON r.oid = w.ev_class JOIN ext ON r.relnamespace = ext.nsp
 WHERE w.rulename <> '_RETURN';

-- sequences
INSERT INTO snap
SELECT 'sequence', c.relname,
       pg_temp.lines('type', s.seqtypid::regtype::text, 'start', s.seqstart::text, 'increment', s.seqincrement::text,
                     'min', s.seqmin::text, 'max', s.seqmax::text, 'cache', s.seqcache::text, 'cycle', s.seqcycle::text,
                     'owned by', (SELECT d.refobjid::regclass::text || '.' || a.attname || ' (' || d.deptype::text || ')'
                                    FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                     AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')))
  FROM pg_class c JOIN ext ON c.relnamespace = ext.nsp JOIN pg_sequence s ON s.seqrelid = c.oid;

-- functions and procedures
INSERT INTO snap
SELECT 'function', p.oid::regprocedure::text,
       pg_temp.lines('kind', p.prokind::text, 'arguments', pg_get_function_arguments(p.oid),
                     'result', pg_get_function_result(p.oid), 'language', l.lanname,
                     'source', CASE WHEN p.prosqlbody IS NOT NULL THEN pg_get_function_sqlbody(p.oid) ELSE p.prosrc END,
                     'library', p.probin,
                     'volatility', p.provolatile::text, 'strict', p.proisstrict::text,
                     'security definer', p.prosecdef::text, 'leakproof', p.proleakproof::text,
                     'parallel', p.proparallel::text, 'cost', p.procost::text, 'rows', p.prorows::text,
                     'support', nullif(p.prosupport, 0)::regproc::text,
                     'config', p.proconfig::text,
                     'owner', p.proowner::regrole::text, 'acl', pg_temp.acl(p.proacl, 'f', p.proowner),
                     'comment', obj_description(p.oid, 'pg_proc'))
  FROM pg_proc p JOIN ext ON p.pronamespace = ext.nsp JOIN pg_language l ON l.oid = p.prolang;

-- aggregates
INSERT INTO snap
SELECT 'aggregate', g.aggfnoid::regprocedure::text,
       pg_temp.lines('kind', g.aggkind::text, 'transition', g.aggtransfn::regproc::text,
                     'final', g.aggfinalfn::regproc::text, 'combine', g.aggcombinefn::regproc::text,
                     'state', g.aggtranstype::regtype::text, 'initial', g.agginitval)
  FROM pg_aggregate g JOIN pg_proc p ON p.oid = g.aggfnoid JOIN ext ON p.pronamespace = ext.nsp;

-- types, with their I/O functions
INSERT INTO snap
SELECT 'type', t.oid::regtype::text,
       pg_temp.lines('type', t.typtype::text, 'length', t.typlen::text, 'by value', t.typbyval::text,
                     'alignment', t.typalign::text, 'storage', t.typstorage::text,
                     'category', t.typcategory::text, 'preferred', t.typispreferred::text,
                     'delimiter', t.typdelim::text,
                     'input', t.typinput::text, 'output', t.typoutput::text,
                     'receive', t.typreceive::text, 'send', t.typsend::text,
                     'typmod in', t.typmodin::text, 'typmod out', t.typmodout::text,
                     'analyze', t.typanalyze::text, 'subscript', t.typsubscript::text,
                     'element', nullif(t.typelem, 0)::regtype::text, 'array', nullif(t.typarray, 0)::regtype::text,
                     'relation', nullif(t.typrelid, 0)::regclass::text,
                     'base type', nullif(t.typbasetype, 0)::regtype::text, 'not null', t.typnotnull::text,
                     'default', t.typdefault,
                     'collation', (SELECT collname FROM pg_collation WHERE oid = t.typcollation),
                     'labels', (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid),
                     'owner', t.typowner::regrole::text, 'acl', pg_temp.acl(t.typacl, 'T', t.typowner),
                     'comment', obj_description(t.oid, 'pg_type'))
  FROM pg_type t JOIN ext ON t.typnamespace = ext.nsp;

-- operators
INSERT INTO snap
SELECT 'operator', o.oid::regoperator::text,
       pg_temp.lines('result', o.oprresult::regtype::text, 'function', o.oprcode::text,
                     'restrict', o.oprrest::text, 'join', o.oprjoin::text,
                     'commutator', nullif(o.oprcom, 0)::regoperator::text,
                     'negator', nullif(o.oprnegate, 0)::regoperator::text,
                     'merges', o.oprcanmerge::text, 'hashes', o.oprcanhash::text,
                     'owner', o.oprowner::regrole::text, 'comment', obj_description(o.oid, 'pg_operator'))
  FROM pg_operator o JOIN ext ON o.oprnamespace = ext.nsp;

-- operator families, with their operators and support functions
INSERT INTO snap
SELECT 'operator family', m.amname || ' ' || f.opfname,
       pg_temp.lines('owner', f.opfowner::regrole::text,
                     'operators', (SELECT string_agg(format('%s %s (%s, %s) %s%s', a.amopstrategy, a.amopopr::regoperator,
                                                            a.amoplefttype::regtype, a.amoprighttype::regtype, a.amoppurpose,
                                                            CASE WHEN a.amopsortfamily <> 0 THEN ' order by ' || a.amopsortfamily END),
                                                     E'\n' ORDER BY a.amopstrategy, a.amoplefttype::regtype::text, a.amoprighttype::regtype::text)
                                     FROM pg_amop a WHERE a.amopfamily = f.oid),
                     'functions', (SELECT string_agg(format('%s (%s, %s) %s', p.amprocnum, p.amproclefttype::regtype,
                                                            p.amprocrighttype::regtype, p.amproc::regprocedure),
                                                     E'\n' ORDER BY p.amprocnum, p.amproclefttype::regtype::text, p.amprocrighttype::regtype::text)
                                     FROM pg_amproc p WHERE p.amprocfamily = f.oid),
                     'comment', obj_description(f.oid, 'pg_opfamily'))
  FROM pg_opfamily f JOIN pg_am m ON m.oid = f.opfmethod JOIN ext ON f.opfnamespace = ext.nsp;

-- operator classes
INSERT INTO snap
SELECT 'operator class', m.amname || ' ' || c.opcname,
       pg_temp.lines('family', (SELECT opfname FROM pg_opfamily WHERE oid = c.opcfamily),
                     'type', c.opcintype::regtype::text, 'default', c.opcdefault::text,
                     'storage', nullif(c.opckeytype, 0)::regtype::text,
                     'owner', c.opcowner::regrole::text, 'comment', obj_description(c.oid, 'pg_opclass'))
  FROM pg_opclass c JOIN pg_am m ON m.oid = c.opcmethod JOIN ext ON c.opcnamespace = ext.nsp;

-- casts from, to or through something of the extension
INSERT INTO snap
SELECT 'cast', format('(%s AS %s)', k.castsource::regtype, k.casttarget::regtype),
       pg_temp.lines('function', nullif(k.castfunc, 0)::regprocedure::text, 'context', k.castcontext::text,
                     'method', k.castmethod::text, 'comment', obj_description(k.oid, 'pg_cast'))
  FROM pg_cast k
 WHERE EXISTS (SELECT FROM owned o WHERE o.classid = 'pg_cast'::regclass AND o.objid = k.oid)
    OR EXISTS (SELECT FROM pg_type t, ext WHERE t.oid IN (k.castsource, k.casttarget) AND t.typnamespace = ext.nsp)
    OR EXISTS (SELECT FROM pg_proc p, ext WHERE p.oid = k.castfunc AND p.pronamespace = ext.nsp);

-- statistics objects
INSERT INTO snap
SELECT 'statistics', s.stxname,
       pg_temp.lines('definition', pg_get_statisticsobjdef(s.oid), 'target', s.stxstattarget::text,
                     'comment', obj_description(s.oid, 'pg_statistic_ext'))
  FROM pg_statistic_ext s JOIN ext ON s.stxnamespace = ext.nsp;

-- default privileges in the schema
INSERT INTO snap
SELECT 'default privileges', d.defaclrole::regrole::text || ' ' || d.defaclobjtype::text,
       pg_temp.lines('acl', pg_temp.acl(d.defaclacl))
  FROM pg_default_acl d JOIN ext ON d.defaclnamespace = ext.nsp;

-- comments on every object the extension owns, whatever its kind
INSERT INTO snap
SELECT 'comment', pg_describe_object(d.classoid, d.objoid, d.objsubid), pg_temp.lines('text', d.description)
  FROM pg_description d
 WHERE EXISTS (SELECT FROM owned o WHERE o.classid = d.classoid AND o.objid = d.objoid);

-- the privileges pg_dump takes for the extension's own (pg_init_privs)
INSERT INTO snap
SELECT 'initial privileges', pg_describe_object(i.classoid, i.objoid, i.objsubid),
       pg_temp.lines('type', i.privtype::text, 'acl', pg_temp.acl(i.initprivs))
  FROM pg_init_privs i
 WHERE EXISTS (SELECT FROM owned o WHERE o.classid = i.classoid AND o.objid = i.objoid);

SELECT section || ' ' || key || coalesce(E'\n' || body, '')
  FROM snap ORDER BY section COLLATE "C", key COLLATE "C", body COLLATE "C";
SQL
}


echo "== B ($b): woes $current, installed fresh"
q -d postgres -c "CREATE DATABASE $b"
q -d "$b" -c "CREATE EXTENSION woes"
v=$(qa -d "$b" -c "SELECT extversion FROM pg_extension WHERE extname = 'woes'")
[ "$v" = "$current" ] || fail "a fresh install has woes $v, not $current"
catalog "$b" > "$work/catalog.fresh"
# how much is compared (a snapshot that lost a section would compare nothing)
sections=$(grep -v '^ ' "$work/catalog.fresh" |
           sed -E 's/^(dump registration|initial privileges|operator family|operator class|default privileges|[a-z]+) .*/\1/' |
           sort | uniq -c)
echo "  catalog snapshot: $(grep -c '' "$work/catalog.fresh") lines, records by section:"
echo "$sections" | awk '{ n = $1; $1 = ""; item = substr($0, 2) " " n
                          if (length(line) + length(item) > 90) { print "    " line ","; line = "" }
                          line = line (line == "" ? "" : ", ") item }
                        END { print "    " line }'
for s in extension 'dump registration' member schema relation column constraint index policy trigger \
         sequence function type operator 'operator family' 'operator class' cast comment 'initial privileges'; do
    grep -qE "^ *[0-9]+ $s\$" <<< "$sections" || fail "the catalog snapshot has no '$s' records"
done

for released in $releases; do
    a="woes_upgrade_${released//./_}_$$"
    databases="$databases $a"
    w="$work/$released"
    mkdir "$w"

    echo "== A ($a): woes $released, filled through its API"
    [ "$released" != "$current" ] || { fail "releases/woes--$released.sql is the version in development"; continue; }
    q -d postgres -c "CREATE DATABASE $a"
    populate "$a" "$released"
    columns "$a" > "$w/columns"
    data "$a" "$w/columns" > "$w/data.before"
    sed 's/^/  /' "$w/data.before"
    # a table left empty proves nothing about the update: fill it above
    while read -r kind t n rest; do
        if [ "$kind" = table ] && [ "$n" = 0 ]; then fail "table woes.$t was not filled by this test"; fi
    done < "$w/data.before"
    [ "$(grep -c '^table ' "$w/data.before")" -ge 17 ] || fail "too few tables found in $a"

    echo "== A: ALTER EXTENSION woes UPDATE ($released to $current)"
    q -d "$a" -c "ALTER EXTENSION woes UPDATE"
    v=$(qa -d "$a" -c "SELECT extversion FROM pg_extension WHERE extname = 'woes'")
    [ "$v" = "$current" ] || fail "after the update from $released the database has woes $v, not $current"

    echo "== A against B: the catalogs"
    catalog "$a" > "$w/catalog.upgraded"
    if diff -U4 -F '^[a-z]' --label "fresh install of $current ($b)" --label "upgraded from $released ($a)" \
            "$work/catalog.fresh" "$w/catalog.upgraded" > "$w/catalog.diff"; then
        echo "  equal"
    else
        fail "upgraded from $released, the database differs from a fresh install of $current" \
             "($(grep -c '^[-+][^-+]' "$w/catalog.diff") lines differ; the diff is at the end)"
    fi

    echo "== A: the data after the update"
    if ! data "$a" "$w/columns" after > "$w/data.after.all"; then
        fail "after the update from $released the data could not be read as before (a table or column gone?)"
    # a sequence the update made (a new table's), still unused, is no change
    elif ! awk 'NR == FNR { if ($1 == "sequence") had[$2] = 1; next }
                !($1 == "sequence" && !($2 in had) && $4 == "1/false")' \
            "$w/data.before" "$w/data.after.all" > "$w/data.after"; then
        fail "the data after the update from $released could not be compared"
    elif ! diff -U0 --label "before the update" --label "after the update" \
            "$w/data.before" "$w/data.after" > "$w/data.diff"; then
        fail "the update from $released changed the data:"
        sed 's/^/    /' "$w/data.diff"
    else
        echo "  unchanged"
    fi

    echo "== A: the upgraded database works"
    bad=$(qa -d "$a" -c "SELECT string_agg(\"check\" || ': ' || coalesce(detail, ''), '; ') FROM woes.doctor() WHERE NOT ok")
    if [ -z "$bad" ]; then echo "  doctor(): all ok"; else fail "doctor() after the update from $released: $bad"; fi

    # the bound role still gets its context in a new session
    # (through woes_bi: analysts have no USAGE on schema woes since 0.2.0)
    bound=$(qa -d "$a" -U woes_upgrade_bi -c "SELECT current_setting('woes.audience') || ' ' || (SELECT slug FROM woes_bi.workspace)
                                                   || ' ' || (SELECT count(*) FROM woes_bi.conversation_metrics)") ||
        bound="(failed)"
    echo "  a new session of woes_upgrade_bi: $bound"
    [ "$bound" = "analyst upgrade-one 5" ] ||
        fail "after the update from $released the bound role gets '$bound', not 'analyst upgrade-one 5'"

    # intake, take_over, resolve and the outbox, as the application
    api=$(qa -d "$a" <<'SQL'
SELECT id AS ws FROM woes.workspaces WHERE slug = 'upgrade-one' \gset
SET ROLE woes_upgrade_app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT coalesce(max(id), 0) AS cursor FROM woes.events_since(0, 100000) \gset
SELECT woes.receive_message('live_chat', 'chat-after', 'visitor-after', 'Hello after the upgrade.', 'lc-after') AS msg \gset
SELECT conversation_id AS conv FROM woes.messages WHERE id = :'msg' \gset
SELECT id AS olga FROM woes.operators WHERE name = 'Olga' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'olga') \g /dev/null
SELECT woes.take_over(:'conv') \g /dev/null
SELECT woes.resolve(:'conv', 'answered') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT c.number || ' ' || c.status || ' ' || c.control FROM woes.conversations c WHERE c.id = :'conv';
SELECT string_agg(e.kind, ' ' ORDER BY e.id) FROM woes.events_since(:cursor, 100) e;
COMMIT;
SQL
) || api="(failed)"
    conv=$(echo "$api" | sed -n 1p)
    events=$(echo "$api" | sed -n 2p)
    echo "  a new conversation: $conv; events since: $events"
    [ "$conv" = "6 resolved operator" ] ||
        fail "after the update from $released the API gave conversation '$conv', not '6 resolved operator'"
    [ "$events" = "conversation.created message.created handoff.taken_over conversation.status_changed" ] ||
        fail "after the update from $released events_since gave '$events'"

    # a woes policy a DBA rewrote before the update: the update does not
    # vouch for it (no fingerprint, 'none'), doctor() names it, and every
    # other woes policy is stamped
    c="woes_upgrade_${released//./_}_rewritten_$$"
    databases="$databases $c"
    echo "== C ($c): woes $released, a woes policy rewritten by ALTER POLICY, then updated"
    q -d postgres -c "CREATE DATABASE $c"
    q -d "$c" -c "CREATE EXTENSION woes VERSION '$released'" \
        -c "ALTER POLICY conversations_staff_update ON woes.conversations USING (woes.in_audience('{admin}'))" \
        -c "ALTER EXTENSION woes UPDATE"
    got=$(qa -d "$c" -c "SELECT string_agg(\"check\" || ': ' || detail, '; ') FROM woes.doctor() WHERE NOT ok")
    echo "  doctor(): $got"
    [ "$got" = "policies_as_defined: conversations.conversations_staff_update" ] ||
        fail "after the update from $released with a rewritten policy doctor() gave '$got'"
    got=$(qa -d "$c" -c "SELECT regexp_replace(obj_description(oid, 'pg_policy'), '.*\n', '') FROM pg_policy
                          WHERE polrelid = 'woes.conversations'::regclass AND polname = 'conversations_staff_update'")
    echo "  its comment's last line: $got"
    case "$got" in "woes fingerprint: none (changed before the update to "*")") ;; *) false ;; esac ||
        fail "after the update from $released the rewritten policy's comment ends '$got'"
done

if [ ${#failures[@]} -gt 0 ]; then
    for released in $releases; do
        if [ -s "$work/$released/catalog.diff" ]; then
            echo
            echo "== catalog differences: a fresh install (-) against one upgraded from $released (+)"
            head -400 "$work/$released/catalog.diff"
        fi
    done
    echo
    printf 'FAIL: %s\n' "${failures[@]}"
    echo "upgrade: ${#failures[@]} failure(s)"
    exit 1
fi
echo "upgrade: ok (upgraded from $(echo $releases | sed 's/ /, /g'), the database equals a fresh install of $current)"

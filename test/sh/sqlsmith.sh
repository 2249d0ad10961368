#!/usr/bin/env bash
# Random queries (SQLsmith) against woes, as a customer, then a sweep for
# leaks.
#
# Two workspaces, A and B, filled through the API: operators, an agent,
# contacts, conversations from intake on several channels, public replies,
# internal notes, debug messages and traces, handoffs, status changes, a
# follow-up of a closed conversation.  A login role gets a default context
# by woes.bind_role(): the customer audience of workspace A, acting as one
# contact ("Ada").  It holds the privileges of woes_service (on the tables,
# views, columns, sequences and functions of schema woes) by direct grants,
# not by membership: bind_role refuses members of woes_service (a pooled
# application role must not get a default context), and without membership
# the role cannot SET the context settings either, so its binding is all the
# context it ever has (the sweep checks that too).  Every text this customer
# must never read carries a marker: ZZB (anything of workspace B), ZZNOTE
# (internal notes), ZZDEBUG (debug messages), ZZTRACE (agent traces),
# ZZOTHER (the other contacts of A and their conversations).
#
# 1. SQLsmith (Debian's package sqlsmith, installed if missing) connects as
#    that role and runs random queries over the woes tables and views it can
#    see (--exclude-catalog: no queries over pg_catalog relations), each under
#    SQLsmith's own statement timeout, for a bounded number of queries and a
#    bounded time.  The server must survive: the checkpointer's pid and the
#    postmaster's start time must not change, and the server log must not
#    report a crashed process.  Errors of class XX (internal error) raised by
#    the queries are reported from the server log (the role logs its errors
#    with their SQLSTATE: log_error_verbosity = verbose).
# 2. Then, in a new session of the same role (its default context only), a
#    sweep reads every woes table and view it can SELECT from (every column
#    it may read) and fails on any row that holds a marker or the id of
#    anything it must not see (found by a superuser: every id in a row of
#    workspace B, the internal and debug messages of A, the other contacts
#    and their conversations, messages, identities and participants).  It
#    must also see exactly its own conversations and their public messages,
#    so the sweep is not vacuous.
#
#   WOES_LONG=1             long mode: 20,000 queries, at most 10 minutes
#   WOES_SQLSMITH_QUERIES   number of queries (quick mode: 4,000)
#   WOES_SQLSMITH_SECONDS   time bound of the SQLsmith run (quick mode: 45)
#   WOES_SQLSMITH_SEED      SQLsmith's seed (default 1 in quick mode, random
#                           in long mode)
#
# Quick mode: about 20 s on 2 cores (SQLsmith stops after 4,000 queries or
# 45 s, whichever comes first).  Runs against the cluster in PG*
# (pg_virtualenv in test/run); needs a superuser, and root (or an installed
# sqlsmith) for the package.
set -uo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
. "$here/robust/lib.sh"

if [ -n "${WOES_LONG:-}" ]; then
    queries=${WOES_SQLSMITH_QUERIES:-20000}
    seconds=${WOES_SQLSMITH_SECONDS:-600}
    seed=${WOES_SQLSMITH_SEED:-$((RANDOM * 32768 + RANDOM))}
else
    queries=${WOES_SQLSMITH_QUERIES:-4000}
    seconds=${WOES_SQLSMITH_SECONDS:-45}
    seed=${WOES_SQLSMITH_SEED:-1}
fi

db="woes_sqlsmith_$$"
app="woes_smith_app_$$"
admin="woes_smith_admin_$$"
cust="woes_smith_customer_$$"
pw="smith-$$-$RANDOM$RANDOM"
work="$(mktemp -d /tmp/woes_sqlsmith.XXXXXX)"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    for r in "$cust" "$admin" "$app"; do
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS $r" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
start=$(date +%s)

echo "== sqlsmith"
if ! command -v sqlsmith >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "FAIL: sqlsmith is not installed, and installing it needs root (apt-get install sqlsmith)"
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    # the package lists only when the package is unknown
    if ! apt-get install -y -qq sqlsmith > "$work/apt.log" 2>&1; then
        { apt-get update -qq && apt-get install -y -qq sqlsmith; } >> "$work/apt.log" 2>&1 || {
            tail -20 "$work/apt.log"; echo "FAIL: could not install sqlsmith"; exit 1; }
    fi
fi
echo "sqlsmith: $(dpkg-query -W -f='${Package} ${Version}' sqlsmith 2>/dev/null || sqlsmith --version 2>&1 | head -1)"

echo "== two workspaces"
q -d postgres -c "CREATE DATABASE $db" || exit 1
# (the extension first: it creates the group roles in a new cluster)
q -d "$db" -c "CREATE EXTENSION woes" > /dev/null || exit 1
q -d postgres <<SQL || exit 1
SET client_min_messages = warning;
DROP ROLE IF EXISTS $cust;
DROP ROLE IF EXISTS $admin;
DROP ROLE IF EXISTS $app;
CREATE ROLE $app NOLOGIN IN ROLE woes_service;
CREATE ROLE $admin NOLOGIN IN ROLE woes_admin;
CREATE ROLE $cust LOGIN PASSWORD '$pw';
-- its errors go to the server log with their SQLSTATE and source location
ALTER ROLE $cust IN DATABASE $db SET log_error_verbosity = verbose;
-- woes's operators (on its types) resolve without a schema, as the README
-- suggests for applications
ALTER ROLE $cust IN DATABASE $db SET search_path = "\$user", public, woes;
SQL
q -d "$db" -v cust="$cust" > /dev/null <<'SQL' || exit 1
SELECT set_config('smith.cust', :'cust', false);
-- the customer's role: woes_service's privileges in schema woes, granted
-- directly (found in the catalog, so a new table or column is covered)
DO $$
DECLARE
    g record;
    cust text := current_setting('smith.cust');
BEGIN
    FOR g IN
        SELECT format('GRANT %s ON %s %s TO %I', a.privilege_type,
                      CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass, cust) AS stmt
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.relnamespace = 'woes'::regnamespace AND a.grantee = 'woes_service'::regrole
        UNION ALL
        SELECT format('GRANT %s (%I) ON TABLE %s TO %I', a.privilege_type, att.attname, c.oid::regclass, cust)
          FROM pg_class c JOIN pg_attribute att ON att.attrelid = c.oid, aclexplode(att.attacl) a
         WHERE c.relnamespace = 'woes'::regnamespace AND a.grantee = 'woes_service'::regrole
        UNION ALL
        SELECT format('GRANT EXECUTE ON FUNCTION %s TO %I', p.oid::regprocedure, cust)
          FROM pg_proc p, aclexplode(p.proacl) a
         WHERE p.pronamespace = 'woes'::regnamespace AND a.grantee = 'woes_service'::regrole
        UNION ALL
        SELECT format('GRANT %s ON SCHEMA woes TO %I', a.privilege_type, cust)
          FROM pg_namespace n, aclexplode(n.nspacl) a
         WHERE n.nspname = 'woes' AND a.grantee = 'woes_service'::regrole
    LOOP
        EXECUTE g.stmt;
    END LOOP;
END;
$$;
SQL

# one workspace's data; :m marks everything the customer must not read
# (for A: only what is not Ada's; for B: everything)
populate() {   # populate <slug> <name> <marker for Ada's data> <marker for the others>
    q -d "$db" -v app="$app" -v slug="$1" -v wname="$2" -v mada="$3" -v mo="$4" > /dev/null <<'SQL'
SET ROLE :"app";
SELECT woes.create_workspace(:'slug', :'wname') AS ws \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator(:'mo' || 'Olga Operator', 'olga@' || :'slug' || '.test') AS op \gset
SELECT woes.add_operator(:'mo' || 'Piet Operator', 'piet@' || :'slug' || '.test') AS op2 \gset
SELECT woes.add_agent(:'mo' || 'Bot', ARRAY['live_chat', 'api']) AS bot \gset
SELECT woes.add_team(:'mo' || 'Support') AS team \gset
SELECT woes.add_team_member(:'team', :'op');
COMMIT;

-- intake: Ada (the customer: one contact, known on chat, email and
-- Discord), Bob and Carol
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op');
SELECT woes.receive_message('live_chat', 'chat-ada-1', 'visitor-ada', :'mada' || 'Hello, I cannot log in', :'mada' || 'ada-m1', :'mada' || 'Ada Lovelace');
SELECT contact_id AS ada FROM woes.identities WHERE channel = 'live_chat' AND external_id = 'visitor-ada' \gset
INSERT INTO woes.identities (contact_id, channel, external_id)
VALUES (:'ada', 'email', 'ada@example.test'), (:'ada', 'discord', 'discord-ada');
SELECT woes.receive_message('live_chat', 'chat-ada-1', 'visitor-ada', :'mada' || 'It says my password expired', :'mada' || 'ada-m2');
SELECT woes.receive_message('email', NULL, 'ada@example.test', :'mada' || 'Invoice question', '<' || :'mada' || 'ada-e1@mail.test>');
SELECT woes.receive_message('email', '<' || :'mada' || 'ada-e1@mail.test>', 'ada@example.test', :'mada' || 'Any news?', '<' || :'mada' || 'ada-e2@mail.test>');
SELECT woes.receive_message('discord', 'thread-ada', 'discord-ada', :'mada' || 'ping', :'mada' || 'ada-d1');
SELECT woes.receive_message('live_chat', 'chat-bob-1', 'visitor-bob', :'mo' || 'ZZOTHER Bob here, my card was charged twice', :'mo' || 'bob-m1', :'mo' || 'ZZOTHER Bob');
SELECT woes.receive_message('live_chat', 'chat-bob-1', 'visitor-bob', :'mo' || 'ZZOTHER card ending 4242', :'mo' || 'bob-m2');
SELECT woes.receive_message('email', NULL, 'carol@example.test', :'mo' || 'ZZOTHER Carol: contract renewal', '<' || :'mo' || 'carol-e1@mail.test>', :'mo' || 'ZZOTHER Carol');
SELECT woes.receive_message('api', 'api-carol-1', 'carol-api', :'mo' || 'ZZOTHER api message', :'mo' || 'carol-a1', :'mo' || 'ZZOTHER Carol');
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op');
SELECT t.conversation_id AS ada_chat FROM woes.thread_refs t WHERE t.channel = 'live_chat' AND t.ref = 'chat-ada-1' \gset
SELECT t.conversation_id AS ada_mail FROM woes.thread_refs t WHERE t.channel = 'email' AND t.ref = :'mada' || 'ada-e1@mail.test' \gset
SELECT t.conversation_id AS ada_discord FROM woes.thread_refs t WHERE t.channel = 'discord' AND t.ref = 'thread-ada' \gset
SELECT t.conversation_id AS bob_chat FROM woes.thread_refs t WHERE t.channel = 'live_chat' AND t.ref = 'chat-bob-1' \gset
SELECT t.conversation_id AS carol_mail FROM woes.thread_refs t WHERE t.channel = 'email' AND t.ref = :'mo' || 'carol-e1@mail.test' \gset
SELECT contact_id AS bob FROM woes.identities WHERE channel = 'live_chat' AND external_id = 'visitor-bob' \gset
-- an outbound conversation to Ada with a subject, and one to Bob
SELECT woes.start_conversation(:'ada', 'email', :'mada' || 'Your renewal', :'mada' || 'Your plan renews next week.') AS ada_out \gset
SELECT woes.start_conversation(:'bob', 'email', :'mo' || 'ZZOTHER Your refund', :'mo' || 'ZZOTHER refund of 12.50 sent') AS bob_out \gset
COMMIT;

-- the agent answers the chats (under automation), with sources and a
-- trace, and leaves debug messages and suggestions
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'ada_chat', :'mada' || 'Try resetting your password.', 'public', '["kb/reset"]', jsonb_build_object('ZZTRACE', :'mo' || 'retrieval scores'));
SELECT woes.reply(:'ada_chat', 'ZZDEBUG ' || :'mo' || 'intent=password_reset p=0.93', 'debug');
SELECT woes.add_note(:'ada_chat', 'ZZNOTE ' || :'mo' || 'suggest: check the SSO settings');
SELECT woes.reply(:'bob_chat', :'mo' || 'ZZOTHER Refunds take five days.', 'public', '["kb/refunds"]', '{"ZZTRACE": 1}');
SELECT woes.reply(:'bob_chat', 'ZZDEBUG ' || :'mo' || 'intent=refund', 'debug');
SELECT woes.request_handoff(:'ada_chat', 'customer asked for a person');
COMMIT;

-- operators: take over, reply, notes, statuses
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op');
SELECT woes.take_over(:'ada_chat');
SELECT woes.reply(:'ada_chat', :'mada' || 'Hi Ada, I reset it for you.');
SELECT woes.add_note(:'ada_chat', 'ZZNOTE ' || :'mo' || 'reset done manually, account flagged');
SELECT woes.reply(:'ada_mail', :'mada' || 'The invoice is attached.');
SELECT woes.add_note(:'ada_mail', 'ZZNOTE ' || :'mo' || 'invoice was wrong, credited 10');
SELECT woes.reply(:'bob_chat', :'mo' || 'ZZOTHER We refunded the second charge.');
SELECT woes.add_note(:'bob_chat', 'ZZNOTE ' || :'mo' || 'chargeback risk');
SELECT woes.set_pending(:'ada_mail', 'waiting for Ada');
SELECT woes.snooze(:'ada_discord', now() + interval '1 day', 'next week');
SELECT woes.resolve(:'bob_chat', 'refunded');
SELECT woes.close(:'carol_mail', 'done');
COMMIT;

-- the customers write again: a reopen, and a follow-up of a closed thread
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op');
SELECT woes.receive_message('email', '<' || :'mada' || 'ada-e2@mail.test>', 'ada@example.test', :'mada' || 'Thanks, got it', '<' || :'mada' || 'ada-e3@mail.test>');
SELECT woes.receive_message('email', '<' || :'mo' || 'carol-e1@mail.test>', 'carol@example.test', :'mo' || 'ZZOTHER one more thing', '<' || :'mo' || 'carol-e2@mail.test>');
SELECT woes.receive_message('live_chat', 'chat-bob-1', 'visitor-bob', :'mo' || 'ZZOTHER still charged', :'mo' || 'bob-m3');
COMMIT;
SQL
}
populate smith-a "Smith A" "" "" || { echo "FAIL: could not populate workspace A"; exit 1; }
populate smith-zzb "ZZB Smith B" "ZZB-" "ZZB-" || { echo "FAIL: could not populate workspace B"; exit 1; }

ws_a=$(qa -d "$db" -c "SELECT id FROM woes.workspaces WHERE slug = 'smith-a'")
ada=$(qa -d "$db" -c "SELECT contact_id FROM woes.identities WHERE workspace_id = '$ws_a' AND channel = 'live_chat' AND external_id = 'visitor-ada'")
q -d "$db" -v admin="$admin" -v cust="$cust" -v ws="$ws_a" -v ada="$ada" > /dev/null <<'SQL' || { echo "FAIL: bind_role"; exit 1; }
SET ROLE :"admin";
SELECT woes.bind_role(:'cust', :'ws', 'customer', :'ada');
SQL
psql -X -q -P pager=off -d "$db" -c "
    SELECT w.slug, count(DISTINCT c.id) AS conversations, count(m.id) AS messages,
           count(m.id) FILTER (WHERE m.visibility::text <> 'public') AS notes_and_debug
      FROM woes.workspaces w
      JOIN woes.conversations c ON c.workspace_id = w.id
      LEFT JOIN woes.messages m ON m.workspace_id = c.workspace_id AND m.conversation_id = c.id
     GROUP BY w.slug ORDER BY w.slug"

target="host=${PGHOST:-localhost} port=${PGPORT:-5432} dbname=$db user=$cust password=$pw"
who=$(psql -X -q -At "$target" -c "SELECT woes.current_audience() || ' ' || (SELECT slug FROM woes.workspaces) || ' ' || woes.current_actor()" 2>&1)
echo "the customer's session: $who"
[ "$who" = "customer smith-a $ada" ] || { echo "FAIL: the role binding does not give the customer context"; exit 1; }

incarnation=$(server_incarnation)
logfile=$(server_log_file)
logoff=$(log_size "$logfile")
echo "server: $incarnation; log: ${logfile:-unknown}"

echo "== sqlsmith: $queries queries, at most $seconds s, seed $seed"
t0=$(date +%s)
timeout --signal=INT --kill-after=10 "$seconds" \
    sqlsmith --target="$target" --exclude-catalog --max-queries="$queries" --seed="$seed" --verbose \
    > "$work/sqlsmith.out" 2> "$work/sqlsmith.err"
rc=$?
elapsed=$(($(date +%s) - t0))
echo "   $elapsed s, exit $rc"
# its report: queries run, error rate, the most frequent errors
awk '/^queries:/ { q = $0; n = 0; delete top } /^[0-9]+\t/ && n < 8 { top[n++] = $0 }
     /^error rate:/ { r = $0 }
     END { print "   " q "; " r; for (i = 0; i < n; i++) print "   " top[i] }' "$work/sqlsmith.err"
case $rc in
    0|124|130) ;;   # done, or stopped by the time bound
    *) tail -20 "$work/sqlsmith.err"; fail "sqlsmith exited with $rc" ;;
esac
grep -q 'Loading tables...done' "$work/sqlsmith.err" || fail "sqlsmith did not load the schema"
# (a lost connection alone is no failure: a random query may end its own
# session, e.g. pg_terminate_backend(pg_backend_pid()), and SQLsmith
# reconnects; a crash shows below)
grep -qiE 'broken|connection.*(lost|closed)|terminated abnormally' "$work/sqlsmith.err" &&
    echo "note: sqlsmith lost its connection at least once and reconnected"

echo "== is the server still the same?"
if ! wait_for_server 30; then
    fail "the server does not answer"
else
    now=$(server_incarnation)
    echo "server: $now"
    [ "$now" = "$incarnation" ] || fail "the server restarted or reinitialized after a crash (was: $incarnation)"
fi
if [ -n "$logfile" ]; then
    crashes=$(crash_lines_since "$logfile" "$logoff")
    if [ -n "$crashes" ]; then
        echo "$crashes"
        fail "the server log reports a crashed process"
    fi
    # the queries' errors, by SQLSTATE (log_error_verbosity = verbose puts it
    # after the severity)
    tail -c +"$((logoff + 1))" "$logfile" | grep -oE '(ERROR|FATAL|PANIC): +[0-9A-Z]{5}:' |
        sed -E 's/: +/ /; s/:$//' | sort | uniq -c | sort -rn > "$work/codes"
    echo "errors of the random queries by SQLSTATE (top 12):"
    head -12 "$work/codes"
    # internal errors (class XX): woes's when raised in woes's C code (the
    # location names one of its source files) or inside a woes function
    # (the context names it); others are PostgreSQL's own (SQLsmith finds
    # those in any database) and are only shown
    woes_files=$(cd "$here/../src" 2>/dev/null && ls *.c | sed 's/[.]c$/[.]c/' | paste -sd'|')
    tail -c +"$((logoff + 1))" "$logfile" | awk -v files=", (${woes_files:-woes[.]c}):[0-9]" '
        function flush() {
            if (entry != "") print (own ? "WOES" : "POSTGRES") "\t" substr(entry, 1, 1200)
            entry = ""; inside = 0 }
        /(ERROR|FATAL|PANIC): +XX[0-9A-Z][0-9A-Z][0-9A-Z]:/ { flush(); entry = $0; own = 0; inside = 1; sect = ""; next }
        inside && /^[0-9][0-9][0-9][0-9]-/ && /(LOCATION|CONTEXT|DETAIL|HINT|STATEMENT): / {
            sect = $0 ~ /CONTEXT: / ? "context" : $0 ~ /STATEMENT: / ? "statement" : "other"
            if ($0 ~ files || (sect == "context" && $0 ~ /woes[.]/)) own = 1
            entry = entry " | " $0; next }
        inside && /^[ \t]/ {
            if (sect == "context" && $0 ~ /woes[.]/) own = 1
            gsub(/[ \t]+/, " "); entry = entry $0; next }
        inside { flush() }
        END { flush() }' > "$work/internal"
    if [ -s "$work/internal" ]; then
        echo "internal errors (class XX) of the random queries:"
        cut -c1-700 "$work/internal" | sed 's/^/   /'
    fi
    grep -q '^WOES' "$work/internal" &&
        fail "random queries raised internal errors in woes (class XX; above, with the statement)"
else
    echo "(server log not found: crashes are detected by the server's incarnation only)"
fi

echo "== sweep as the customer"
q -d "$db" -v ws="$ws_a" -v ada="$ada" -v cust="$cust" > /dev/null <<'SQL' || { echo "FAIL: could not list what the customer must not see"; exit 1; }
CREATE SCHEMA sweep;
-- every id in any row of workspace B, in every table of schema woes
CREATE TABLE sweep.forbidden (id uuid PRIMARY KEY, why text NOT NULL);
DO $$
DECLARE
    t record;
    b uuid := (SELECT id FROM woes.workspaces WHERE slug = 'smith-zzb');
BEGIN
    FOR t IN SELECT c.relname,
                    CASE WHEN c.relname = 'workspaces' THEN 'id' ELSE 'workspace_id' END AS key
               FROM pg_class c
              WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r'
                AND EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND NOT a.attisdropped
                               AND a.attname = CASE WHEN c.relname = 'workspaces' THEN 'id' ELSE 'workspace_id' END)
    LOOP
        EXECUTE format($q$
            INSERT INTO sweep.forbidden
            SELECT DISTINCT m[1]::uuid, 'workspace B (woes.%1$s)'
              FROM woes.%1$I t,
                   regexp_matches(to_jsonb(t)::text, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'g') m
             WHERE t.%2$I = $1
            ON CONFLICT DO NOTHING$q$, t.relname, t.key) USING b;
    END LOOP;
END;
$$;
-- in A: the notes and debug messages, the other contacts and everything of
-- theirs
INSERT INTO sweep.forbidden
SELECT id, 'an internal or debug message of A' FROM woes.messages
 WHERE workspace_id = :'ws' AND visibility::text <> 'public'
ON CONFLICT DO NOTHING;
INSERT INTO sweep.forbidden
SELECT id, 'another contact of A' FROM woes.contacts WHERE workspace_id = :'ws' AND id <> :'ada'
UNION ALL
SELECT id, 'another contact''s identity in A' FROM woes.identities WHERE workspace_id = :'ws' AND contact_id <> :'ada'
UNION ALL
SELECT id, 'another contact''s conversation in A' FROM woes.conversations WHERE workspace_id = :'ws' AND contact_id <> :'ada'
UNION ALL
SELECT id, 'a message of another contact''s conversation in A' FROM woes.messages WHERE workspace_id = :'ws' AND contact_id <> :'ada'
UNION ALL
SELECT p.id, 'a participant of another contact''s conversation in A' FROM woes.participants p
  JOIN woes.conversations c ON c.workspace_id = p.workspace_id AND c.id = p.conversation_id
 WHERE p.workspace_id = :'ws' AND c.contact_id <> :'ada'
ON CONFLICT DO NOTHING;
-- what the customer must see, exactly
CREATE TABLE sweep.expected AS
SELECT (SELECT count(*) FROM woes.conversations WHERE workspace_id = :'ws' AND contact_id = :'ada') AS conversations,
       (SELECT count(*) FROM woes.messages WHERE workspace_id = :'ws' AND contact_id = :'ada'
                                            AND visibility::text = 'public') AS public_messages;
GRANT USAGE ON SCHEMA sweep TO :"cust";
GRANT SELECT ON ALL TABLES IN SCHEMA sweep TO :"cust";
SQL
echo "ids the customer must not see: $(qa -d "$db" -c "SELECT count(*) || ' (' || string_agg(DISTINCT split_part(why, ' (', 1), '; ') || ')' FROM sweep.forbidden")"

# a new session of the customer role: its default context, nothing else
psql -X -q -At -v ON_ERROR_STOP=1 "$target" > "$work/sweep.out" 2>&1 <<'SQL'
SET client_min_messages = notice;
CREATE TEMP TABLE seen (rel text, cols int, rows bigint, leaks bigint, sample text, error text);
DO $$
DECLARE
    r record;
    cols text;
    ncols int;
    n bigint;
    bad bigint;
    sample text;
BEGIN
    FOR r IN SELECT c.oid, c.relname FROM pg_class c
              WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')
              ORDER BY c.relname
    LOOP
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum), count(*) INTO cols, ncols
          FROM pg_attribute a
         WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND has_column_privilege(r.oid, a.attnum, 'SELECT');
        IF cols IS NULL THEN
            INSERT INTO seen VALUES (r.relname, 0, NULL, NULL, NULL, 'no column readable');
            CONTINUE;
        END IF;
        BEGIN
            EXECUTE format($q$
                SELECT count(*), count(*) FILTER (WHERE bad), min(j) FILTER (WHERE bad)
                  FROM (SELECT j, j ~* 'ZZ(B|NOTE|DEBUG|TRACE|OTHER)'
                                  OR EXISTS (SELECT FROM regexp_matches(j, '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}', 'g') m
                                              JOIN sweep.forbidden f ON f.id = m[1]::uuid) AS bad
                          FROM (SELECT to_jsonb(x)::text AS j FROM (SELECT %s FROM woes.%I) x) s) s2$q$,
                cols, r.relname) INTO n, bad, sample;
            INSERT INTO seen VALUES (r.relname, ncols, n, bad, left(sample, 300), NULL);
        EXCEPTION WHEN OTHERS THEN
            INSERT INTO seen VALUES (r.relname, ncols, NULL, NULL, NULL, SQLSTATE || ' ' || SQLERRM);
        END;
    END LOOP;
END;
$$;
SELECT format('%s: %s', rel, CASE WHEN error IS NOT NULL THEN 'not readable (' || error || ')'
                                  WHEN leaks > 0 THEN format('LEAK: %s of %s rows, e.g. %s', leaks, rows, sample)
                                  ELSE format('%s rows, %s columns, nothing it must not see', rows, cols) END)
  FROM seen ORDER BY rel;
SELECT format('own conversations: %s of %s; public messages of them: %s of %s',
              (SELECT count(*) FROM woes.conversations), e.conversations,
              (SELECT count(*) FROM woes.messages), e.public_messages),
       (SELECT count(*) FROM woes.conversations) = e.conversations
       AND (SELECT count(*) FROM woes.messages) = e.public_messages
       AND (SELECT count(*) FROM woes.customer_messages) = e.public_messages
       AND (SELECT count(*) FROM woes.customer_conversations) = e.conversations AS complete
  FROM sweep.expected e;
-- and its context is the binding's: it cannot set another one
DO $$
BEGIN
    PERFORM set_config('woes.workspace', (SELECT id::text FROM sweep.forbidden LIMIT 1), true);
    RAISE NOTICE 'LEAK: the customer could set woes.workspace';
EXCEPTION WHEN insufficient_privilege THEN
    NULL;
END;
$$;
SELECT 'sweep done';
SQL
rc=$?
sed 's/^/   /' "$work/sweep.out"
[ $rc -eq 0 ] && grep -q '^sweep done$' "$work/sweep.out" || fail "the sweep did not run to its end"
grep -q 'LEAK' "$work/sweep.out" && fail "the customer read something it must not (above)"
grep -qE '\|t$' "$work/sweep.out" || fail "the customer does not see exactly its own conversations and their public messages"
# a sweep that read nothing would prove nothing
grep -qE '^conversations: [1-9][0-9]* rows' "$work/sweep.out" || fail "the sweep read no conversation"

echo "sqlsmith: $(($(date +%s) - start)) s in all, $failures failure(s)"
[ "$failures" -eq 0 ]

#!/usr/bin/env bash
# BI tools' drivers, as a BI tool syncs woes_bi.
#
# pgjdbc (test/clients/jdbc/BiSync.java: the driver of Metabase, DBeaver and
# Tableau) and psqlODBC through unixODBC (test/clients/odbc/bi_sync.py, with
# python3-pyodbc, as Excel and Power BI use it) connect as a login role bound
# to workspace A with the analyst audience (woes.bind_role), and do what a
# BI tool does when it syncs: list schemas, views and columns through the
# driver's metadata API and through Metabase's own privilege-filtered
# queries; probe every view of woes_bi (WHERE 1 <> 1, LIMIT 0), sample it,
# read it whole with quoted identifiers, count it, read each column's
# distinct values and the min and max of its times and numbers; and filter
# every label column by each of its values, bound as a string parameter
# (pgjdbc with its default prepareThreshold and with prepareThreshold=1, so
# that the filters run server-prepared and with a generic plan; with
# stringtype=unspecified for uuid filters; psqlODBC with
# UseServerSidePrepare=1 and 0).  They check that the analyst sees exactly
# the views of woes_bi, nothing of schema woes, every row of workspace A and
# none of workspace B (no row of another workspace_id, no id of B anywhere),
# no text that must not reach an analyst (the setup writes SECRET markers
# into A's subjects, bodies, notes, traces, reasons, contact names and
# emails and custom field values, and into everything of B), the standard
# type of each column (labels as strings, durations as numeric, times as
# timestamps, ids as uuid, nothing else of type "other") and a comment on
# every view and column.
#
# Runs against the cluster in PG* (test/throwaway in test/run), as a
# superuser, like every test in test/sh.  On its own, as root:
#
#   make PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   make install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
#   test/throwaway bash test/sh/bi_clients.sh
#
# Installs what it needs (as root): Debian's libpostgresql-jdbc-java,
# odbc-postgresql, unixodbc and python3-pyodbc, and default-jdk-headless
# when there is no javac on PATH.  Prints one line per check ("ok", "FAIL";
# "info" lines report what a driver does without judging it) and a
# summary; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."

db="woes_bi_clients_$$"
app="woes_bi_clients_app"          # the application backend (woes_service) that writes the data
analyst="woes_bi_clients_analyst"  # the BI tool's login, bound to workspace A
work=$(mktemp -d /tmp/woes-bi-clients.XXXXXX)
passed=0
failed=0

ok() { echo "ok   - $*"; passed=$((passed + 1)); }
fail() { echo "FAIL - $*" | tee -a "$work/fails"; failed=$((failed + 1)); }
die() { fail "$*"; summary; exit 1; }
# The last lines: the failures again (test/suites shows a failed test's
# last 40 lines), and every check of this script and of both clients.
# (Worded so that it is not taken for the "N passed, N failed" line of
# test/run.)
summary() {
    local p=$passed f=$failed out n m
    for out in "$work/jdbc.out" "$work/odbc.out"; do
        read -r n m < <(sed -n 's/^[a-z]* summary: \([0-9]*\) checks passed, \([0-9]*\) failed$/\1 \2/p' "$out" 2>/dev/null) || continue
        p=$((p + n)); f=$((f + m))
    done
    if cat "$work/fails" "$work/jdbc.out" "$work/odbc.out" 2>/dev/null | grep -q '^FAIL'; then
        echo "== failures (the first 20)"
        cat "$work/fails" "$work/jdbc.out" "$work/odbc.out" 2>/dev/null | grep '^FAIL' | head -20 | cut -c1-400
    fi
    echo "bi_clients summary: $p checks passed, $f failed (pgjdbc, psqlODBC and this script)"
    total_failed=$f
}
total_failed=0

cleanup() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP ROLE IF EXISTS $analyst" -c "DROP ROLE IF EXISTS $app" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

# ---------------------------------------------------------------- packages
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
need=()
for p in libpostgresql-jdbc-java odbc-postgresql unixodbc python3-pyodbc; do
    installed "$p" || need+=("$p")
done
# a JDK: whatever javac is on PATH; Debian's only where there is none
command -v javac >/dev/null 2>&1 || need+=(default-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing packages (${need[*]}) and not root to install them"
    echo "== installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >"$work/apt.log" 2>&1 \
        || { tail -20 "$work/apt.log"; die "apt-get install ${need[*]} failed"; }
fi
# Debian's python, where python3-pyodbc is installed (not a pyenv or venv
# python that may come first on PATH)
python=/usr/bin/python3
jar=/usr/share/java/postgresql.jar
[ -f "$jar" ] || die "no pgjdbc jar at $jar"
# psqlODBC: the Unicode driver as registered with unixODBC ("PostgreSQL
# Unicode" on Debian), else its library by path
odbc_driver=""
if odbcinst -q -d 2>/dev/null | grep -qx '\[PostgreSQL Unicode\]'; then
    odbc_driver="PostgreSQL Unicode"
else
    for so in /usr/lib/*/odbc/psqlodbcw.so /usr/lib/odbc/psqlodbcw.so; do
        [ -f "$so" ] && { odbc_driver=$so; break; }
    done
fi
[ -n "$odbc_driver" ] || die "psqlODBC (psqlodbcw.so) is neither registered with unixODBC nor found"
echo "java: $(java -version 2>&1 | head -1), javac: $(javac -version 2>&1)"
echo "pgjdbc: $(dpkg-query -W -f='${Version}' libpostgresql-jdbc-java 2>/dev/null) ($(readlink -f "$jar"))"
echo "psqlODBC: $(dpkg-query -W -f='${Version}' odbc-postgresql 2>/dev/null) (driver \"$odbc_driver\"), unixODBC: $(odbcinst --version 2>/dev/null | awk '{print $NF}')"
echo "pyodbc: $("$python" -c 'import pyodbc; print(pyodbc.version)' 2>&1)"

# ------------------------------------------------------------- the cluster
# The cluster is throwaway; the clients connect over TCP as roles without a
# password (the same rewrite as test/suites; harmless if it is done already).
hba=$(psql -XAtq -d postgres -c 'SHOW hba_file') || die "cannot reach the cluster in PG*"
if ! grep -qE '^host[[:space:]]+all[[:space:]]+all[[:space:]]+127\.0\.0\.1/32[[:space:]]+trust' "$hba"; then
    { echo "local all all trust"; echo "host all all 127.0.0.1/32 trust"; echo "host all all ::1/128 trust"; cat "$hba"; } > "$work/hba"
    cat "$work/hba" > "$hba"
    psql -XAtq -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
fi

pg_host=${PGHOST:-localhost}
case "$pg_host" in localhost | /* | "") pg_host=127.0.0.1 ;; esac
pg_port=${PGPORT:-5432}

echo "== setup: database $db, roles $app and $analyst, workspaces A and B"
psql -X -q -d postgres -c "CREATE DATABASE $db" >/dev/null || die "cannot create database $db"
# the extension first: it creates the group roles if missing
psql -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null <<'SQL' || die "CREATE EXTENSION woes CASCADE failed"
SET client_min_messages = warning;
CREATE EXTENSION woes CASCADE;
SQL
psql -X -q -d postgres -c "SET client_min_messages = warning" \
    -c "DROP ROLE IF EXISTS $analyst" -c "DROP ROLE IF EXISTS $app" \
    -c "CREATE ROLE $app LOGIN IN ROLE woes_service" \
    -c "CREATE ROLE $analyst LOGIN IN ROLE woes_analyst" >/dev/null || die "cannot create roles $app and $analyst"

# One workspace's data, through the API, as the application role: three
# operators in two teams, an agent, two tags, two custom fields, two linked
# issues, and four conversations that move every metric and fill every view
# of woes_bi: (1) live chat answered by the agent, handed off, assigned,
# taken over, answered, tagged, resolved; (2) email, people only: assigned,
# answered twice, resolved, reopened by the customer, reassigned to another
# team, answered, resolved; (3) api, started by an operator, in a team's
# queue, pending; (4) discord, answered by the agent alone and resolved.
# History is imported at controlled times (messages' created_at and sent_at,
# woes.as_of for status changes, assignments and handoffs), as README's
# "Metrics" describes.  Variables: ws, L (the prefix of every label an
# analyst may see: names of operators, teams, tags, issues), S and s (the
# marker of what an analyst must never see, upper and lower case), t0.
cat > "$work/workspace.sql" <<'SQL'
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT woes.add_operator(:'L' || ' Olga', 'secret-opmail-' || :'s' || '-1@ops.test') AS op1 \gset
SELECT woes.add_operator(:'L' || ' Omar', 'secret-opmail-' || :'s' || '-2@ops.test') AS op2 \gset
SELECT woes.add_operator(:'L' || ' Oona', 'secret-opmail-' || :'s' || '-3@ops.test') AS op3 \gset
SELECT woes.add_agent(:'L' || ' Helper', '{live_chat,discord}') AS bot \gset
SELECT woes.add_team(:'L' || ' Billing') AS billing \gset
SELECT woes.add_team(:'L' || ' Tech') AS tech \gset
SELECT woes.add_team_member(:'billing', :'op1') \g /dev/null
SELECT woes.add_team_member(:'billing', :'op2') \g /dev/null
SELECT woes.add_team_member(:'tech', :'op3') \g /dev/null
SELECT woes.define_tag(:'L' || ' Refund', '#ff8800', 'SECRET-TAGDESC-' || :'S') \g /dev/null
SELECT woes.define_tag(:'L' || ' Bug', '#0088ff', 'SECRET-TAGDESC-' || :'S') \g /dev/null
SELECT woes.define_field('detail', 'text') \g /dev/null
SELECT woes.define_field('priority', 'select', '["low", "high"]') \g /dev/null
COMMIT;

-- (1) live chat: the agent answers, hands off; Olga takes over, answers
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT woes.receive_message('live_chat', 'secret-thread-' || :'s' || '-1', 'secret-visitor-' || :'s' || '-1',
                            'SECRET-BODY-' || :'S' || '-1 my invoice is wrong', 'secret-ext-' || :'s' || '-1',
                            'SECRET-NAME-' || :'S' || '-1', :'t0') AS m \gset
SELECT conversation_id AS c1 FROM woes.messages WHERE id = :'m' \gset
SELECT woes.upsert_contact('live_chat', 'secret-visitor-' || :'s' || '-1', NULL,
                           'secret-email-' || :'s' || '-1@example.test') \g /dev/null
UPDATE woes.conversations SET subject = 'SECRET-SUBJECT-' || :'S' || '-1' WHERE id = :'c1';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot') \g /dev/null
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c1', 'agent', :'bot', 'SECRET-BODY-' || :'S' || '-bot1', :'t0'::timestamptz + interval '10 seconds');
SELECT woes.reply(:'c1', 'SECRET-BODY-' || :'S' || '-suggestion', 'internal',
                  jsonb_build_array(jsonb_build_object('title', 'SECRET-GROUNDING-' || :'S')),
                  jsonb_build_object('step', 'SECRET-TRACE-' || :'S')) \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op1') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '20 seconds')::text, true) \g /dev/null
SELECT woes.request_handoff(:'c1', 'SECRET-REASON-' || :'S' || '-handoff') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '40 seconds')::text, true) \g /dev/null
SELECT woes.assign(:'c1', :'op1', :'billing', 'SECRET-REASON-' || :'S' || '-assign') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '50 seconds')::text, true) \g /dev/null
SELECT woes.take_over(:'c1') \g /dev/null
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c1', 'operator', :'op1', 'SECRET-BODY-' || :'S' || '-reply1', :'t0'::timestamptz + interval '80 seconds');
SELECT woes.add_note(:'c1', 'SECRET-NOTE-' || :'S' || '-1') \g /dev/null
SELECT woes.tag(:'c1', :'L' || ' Refund') \g /dev/null
SELECT woes.set_field(:'c1', 'detail', to_jsonb('SECRET-FIELD-' || :'S' || '-1')) \g /dev/null
SELECT woes.set_field(:'c1', 'priority', '"high"') \g /dev/null
SELECT woes.link_issue(:'c1', 'linear', :'L' || '-ENG-1', 'https://tracker.test/' || :'L' || '/ENG-1',
                       :'L' || ' CSV export fails') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '120 seconds')::text, true) \g /dev/null
SELECT woes.resolve(:'c1', 'SECRET-REASON-' || :'S' || '-resolve') \g /dev/null
COMMIT;

-- (2) email, people only
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT woes.receive_message('email', '<secret-' || :'s' || '-2a@mail.test>', 'secret-email-' || :'s' || '-2@example.test',
                            'SECRET-BODY-' || :'S' || '-2 refund please', '<secret-' || :'s' || '-2a@mail.test>',
                            'SECRET-NAME-' || :'S' || '-2', :'t0'::timestamptz + interval '60 seconds') AS m \gset
SELECT conversation_id AS c2 FROM woes.messages WHERE id = :'m' \gset
UPDATE woes.conversations SET subject = 'SECRET-SUBJECT-' || :'S' || '-2' WHERE id = :'c2';
SELECT woes.receive_message('email', '<secret-' || :'s' || '-2a@mail.test>', 'secret-email-' || :'s' || '-2@example.test',
                            'SECRET-BODY-' || :'S' || '-2 hello?', '<secret-' || :'s' || '-2b@mail.test>', NULL,
                            :'t0'::timestamptz + interval '100 seconds') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '110 seconds')::text, true) \g /dev/null
SELECT woes.assign(:'c2', :'op2', :'billing') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op2') \g /dev/null
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c2', 'operator', :'op2', 'SECRET-BODY-' || :'S' || '-reply2', :'t0'::timestamptz + interval '200 seconds');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c2', 'operator', :'op2', 'SECRET-BODY-' || :'S' || '-reply3', :'t0'::timestamptz + interval '300 seconds');
SELECT woes.tag(:'c2', :'L' || ' Refund') \g /dev/null
SELECT woes.tag(:'c2', :'L' || ' Bug') \g /dev/null
SELECT woes.set_field(:'c2', 'detail', to_jsonb('SECRET-FIELD-' || :'S' || '-2')) \g /dev/null
SELECT woes.link_issue(:'c2', 'linear', :'L' || '-ENG-1') \g /dev/null
SELECT woes.link_issue(:'c2', 'github', :'L' || '-GH-7', 'https://tracker.test/' || :'L' || '/GH-7',
                       :'L' || ' Login loop') AS issue2 \gset
SELECT woes.set_issue_state(:'issue2', 'in_progress', 'In Progress') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '400 seconds')::text, true) \g /dev/null
SELECT woes.resolve(:'c2', 'SECRET-REASON-' || :'S' || '-resolve') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT woes.receive_message('email', '<secret-' || :'s' || '-2b@mail.test>', 'secret-email-' || :'s' || '-2@example.test',
                            'SECRET-BODY-' || :'S' || '-2 not arrived', '<secret-' || :'s' || '-2c@mail.test>', NULL,
                            :'t0'::timestamptz + interval '500 seconds') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '550 seconds')::text, true) \g /dev/null
SELECT woes.assign(:'c2', :'op3', :'tech', 'SECRET-REASON-' || :'S' || '-reassign') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op3') \g /dev/null
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c2', 'operator', :'op3', 'SECRET-BODY-' || :'S' || '-reply4', :'t0'::timestamptz + interval '600 seconds');
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '700 seconds')::text, true) \g /dev/null
SELECT woes.resolve(:'c2') \g /dev/null
COMMIT;

-- (3) api, started by Oona, in Tech's queue, pending
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'op3') \g /dev/null
SELECT woes.upsert_contact('api', 'secret-customer-' || :'s' || '-3', 'SECRET-NAME-' || :'S' || '-3',
                           'secret-email-' || :'s' || '-3@example.test') AS k3 \gset
SELECT woes.start_conversation(:'k3', 'api', 'SECRET-SUBJECT-' || :'S' || '-3', 'SECRET-BODY-' || :'S' || '-3') AS c3 \gset
SELECT woes.assign(:'c3', team => :'tech') \g /dev/null
SELECT woes.link_issue(:'c3', 'github', :'L' || '-GH-7') \g /dev/null
SELECT woes.set_pending(:'c3', 'SECRET-REASON-' || :'S' || '-pending') \g /dev/null
COMMIT;

-- (4) discord: the agent answers, and it is resolved with no person
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT woes.receive_message('discord', 'secret-thread-' || :'s' || '-4', 'secret-visitor-' || :'s' || '-4',
                            'SECRET-BODY-' || :'S' || '-4 password reset?', 'secret-ext-' || :'s' || '-4',
                            'SECRET-NAME-' || :'S' || '-4', :'t0'::timestamptz + interval '1000 seconds') AS m \gset
SELECT conversation_id AS c4 FROM woes.messages WHERE id = :'m' \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot') \g /dev/null
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, created_at)
VALUES (:'c4', 'agent', :'bot', 'SECRET-BODY-' || :'S' || '-bot4', :'t0'::timestamptz + interval '1005 seconds');
SELECT woes.tag(:'c4', :'L' || ' Bug') \g /dev/null
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator') \g /dev/null
SELECT set_config('woes.as_of', (:'t0'::timestamptz + interval '1010 seconds')::text, true) \g /dev/null
SELECT woes.resolve(:'c4', 'SECRET-REASON-' || :'S' || '-bot') \g /dev/null
COMMIT;
SQL

# A's workspace and labels are what its analyst reads (no marker); B's are
# all markers.  Everything but CREATE EXTENSION and the binding is done by
# the application role, through the API.
psql -X -q -At -v ON_ERROR_STOP=1 -v role="$app" -v workspace_sql="$work/workspace.sql" -d "$db" \
    > "$work/setup.out" 2> "$work/setup.err" <<'SQL'
SET client_min_messages = warning;
SET ROLE :"role";
SELECT date_trunc('minute', now() - interval '3 days') AS t0 \gset
SELECT woes.create_workspace('bi-clients-a', 'BI Clients A') AS wsa \gset
SELECT woes.create_workspace('secret-bi-clients-b', 'SECRET-WS-B') AS wsb \gset
\set ws :wsa
\set L A
\set S A
\set s a
\i :workspace_sql
\set ws :wsb
\set L SECRET-B
\set S B
\set s b
\i :workspace_sql
SELECT :'wsa' AS a, :'wsb' AS b;
SQL
[ $? -eq 0 ] || { cat "$work/setup.err"; die "setup failed"; }
IFS='|' read -r wsa wsb < "$work/setup.out"
psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "SELECT woes.bind_role('$analyst', '$wsa', 'analyst')" >/dev/null 2>"$work/bind.err" \
    || { cat "$work/bind.err"; die "bind_role($analyst, A, analyst) failed"; }
ok "setup: 2 workspaces (A $wsa, B $wsb) with 3 operators, 2 teams, an agent, 2 tags, 2 fields, 2 issues and 4 conversations each, written by $app through the API; $analyst bound to A as analyst"

# ------------------------------------------------ what the analyst may see
# As the superuser: the views of woes_bi as installed, every id of workspace
# B (each uuid column of each woes table with a workspace_id, in B's rows)
# and B's keys of the views whose keys are bigint, and how many rows of A
# (and of B) each view has.
psql -X -q -At -v ON_ERROR_STOP=1 -v a="$wsa" -v b="$wsb" -d "$db" > "$work/expected.properties" 2> "$work/expected.err" <<'SQL'
SET client_min_messages = warning;
SET row_security = off;
CREATE FUNCTION pg_temp.uuids_of(ws uuid) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT c.relname, a.attname
               FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
              WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'p')
                AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'uuid'::regtype
                AND EXISTS (SELECT FROM pg_attribute w WHERE w.attrelid = c.oid AND w.attname = 'workspace_id')
    LOOP
        RETURN QUERY EXECUTE format('SELECT DISTINCT %I::text FROM woes.%I WHERE workspace_id = $1 AND %I IS NOT NULL',
                                    r.attname, r.relname, r.attname) USING ws;
    END LOOP;
END;
$$;
-- the rows of each view in each workspace, read in the analyst audience
-- of that workspace (a view may aggregate through the context, as a
-- SECURITY DEFINER function), as the superuser (no row-level security)
CREATE FUNCTION pg_temp.counts(a uuid, b uuid) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    v record;
    na bigint;
    nb bigint;
BEGIN
    FOR v IN SELECT c.oid, c.relname,
                    EXISTS (SELECT FROM pg_attribute w WHERE w.attrelid = c.oid AND w.attname = 'workspace_id') AS ws
               FROM pg_class c WHERE c.relnamespace = 'woes_bi'::regnamespace ORDER BY c.relname
    LOOP
        PERFORM woes.set_context(a, 'analyst');
        IF v.ws THEN
            EXECUTE format('SELECT count(*) FROM woes_bi.%I WHERE workspace_id = $1', v.relname) INTO na USING a;
            PERFORM woes.set_context(b, 'analyst');
            EXECUTE format('SELECT count(*) FROM woes_bi.%I WHERE workspace_id = $1', v.relname) INTO nb USING b;
            RETURN NEXT format('b_count.%s=%s', v.relname, nb);
        ELSE
            EXECUTE format('SELECT count(*) FROM woes_bi.%I', v.relname) INTO na;
        END IF;
        RETURN NEXT format('expected_count.%s=%s', v.relname, na);
    END LOOP;
END;
$$;
SELECT 'views=' || string_agg(relname, ',' ORDER BY relname) FROM pg_class
 WHERE relnamespace = 'woes_bi'::regnamespace AND relkind IN ('r', 'p', 'v', 'm', 'f');
SELECT 'forbidden_ids=' || string_agg(DISTINCT u, ',') FROM pg_temp.uuids_of(:'b') u
 WHERE u NOT IN (SELECT pg_temp.uuids_of(:'a'));
SELECT 'forbidden_key.status_changes.status_change_id=' || coalesce(string_agg(id::text, ','), '')
  FROM woes.status_events WHERE workspace_id = :'b';
SELECT 'forbidden_key.handoffs.handoff_id=' || coalesce(string_agg(id::text, ','), '')
  FROM woes.handoff_events WHERE workspace_id = :'b';
BEGIN;
SELECT pg_temp.counts(:'a', :'b');
COMMIT;
SQL
[ $? -eq 0 ] || { cat "$work/expected.err"; die "reading what the analyst may see failed"; }
{
    echo "host=$pg_host"
    echo "port=$pg_port"
    echo "database=$db"
    echo "user=$analyst"
    echo "workspace_a=$wsa"
    echo "odbc_driver=$odbc_driver"
    cat "$work/expected.properties"
} > "$work/config.properties"
prop() { sed -n "s/^$1=//p" "$work/config.properties"; }

views=$(prop views)
# the views this tree creates (src/sql/57_bi.sql, or any install script
# file): each must be installed; an installed one the tree does not create
# means the installed extension is another tree's (reported, not judged)
source_views=$(cat src/sql/[0-9]*.sql | grep -oE 'CREATE (OR REPLACE )?(MATERIALIZED )?VIEW woes_bi\.[a-z_0-9]+' \
               | sed 's/.*\.//' | sort -u | paste -sd,)
missing=$(comm -13 <(tr ',' '\n' <<< "$views" | sort) <(tr ',' '\n' <<< "$source_views" | sort) | paste -sd,)
extra=$(comm -23 <(tr ',' '\n' <<< "$views" | sort) <(tr ',' '\n' <<< "$source_views" | sort) | paste -sd,)
if [ -n "$source_views" ] && [ -z "$missing" ]; then
    ok "woes_bi as installed has the $(tr ',' '\n' <<< "$source_views" | wc -l) views src/sql creates: $source_views"
else
    fail "views src/sql creates that woes_bi as installed lacks: ${missing:-(src/sql creates none)}"
fi
[ -z "$extra" ] || echo "info - woes_bi as installed has views src/sql does not create (an extension installed from another tree): $extra; the clients read them too"
empty="" b_empty=""
for v in ${views//,/ }; do
    [ "$(prop "expected_count\\.$v")" -gt 0 ] 2>/dev/null || empty+=" $v"
    n=$(prop "b_count\\.$v")
    [ -z "$n" ] || [ "$n" -gt 0 ] || b_empty+=" $v"
done
[ -z "$empty" ] && ok "every view of woes_bi has rows of workspace A: $(for v in ${views//,/ }; do printf '%s %s, ' "$v" "$(prop "expected_count\\.$v")"; done | sed 's/, $//')" \
    || fail "views with no row of workspace A (their filters would not run):$empty"
[ -z "$b_empty" ] && ok "every view with a workspace_id has rows of workspace B too, and $(prop forbidden_ids | tr ',' '\n' | grep -c .) ids of B to look for" \
    || fail "views with no row of workspace B (nothing to leak):$b_empty"
privs=$(psql -X -q -At -d "$db" -c "SELECT has_schema_privilege('$analyst', 'woes', 'USAGE'), has_schema_privilege('$analyst', 'woes_bi', 'USAGE')")
[ "$privs" = "f|t" ] && ok "$analyst has USAGE on schema woes_bi and none on schema woes" \
    || fail "$analyst's USAGE on schemas woes and woes_bi: $privs (expected f|t)"

# ----------------------------------------------------------------- clients
echo "== pgjdbc (test/clients/jdbc/BiSync.java)"
mkdir -p "$work/jdbc"
if javac -nowarn -d "$work/jdbc" -cp "$jar" test/clients/jdbc/BiSync.java > "$work/javac.log" 2>&1; then
    timeout 300 java -cp "$work/jdbc:$jar" BiSync "$work/config.properties" 2>&1 | tee "$work/jdbc.out"
    rc_jdbc=${PIPESTATUS[0]}
    # its checks count in the summary; here only a run that did not get to its end
    grep -q '^jdbc summary: ' "$work/jdbc.out" || fail "the pgjdbc client did not finish (exit $rc_jdbc)"
else
    cat "$work/javac.log"; fail "javac test/clients/jdbc/BiSync.java failed"; rc_jdbc=1
fi

echo "== psqlODBC (test/clients/odbc/bi_sync.py)"
timeout 300 "$python" -B test/clients/odbc/bi_sync.py "$work/config.properties" 2>&1 | tee "$work/odbc.out"
rc_odbc=${PIPESTATUS[0]}
grep -q '^odbc summary: ' "$work/odbc.out" || fail "the psqlODBC client did not finish (exit $rc_odbc)"

summary
[ "$total_failed" = 0 ] && [ "$rc_jdbc" = 0 ] && [ "$rc_odbc" = 0 ]

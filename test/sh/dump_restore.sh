#!/usr/bin/env bash
# Nothing lost: a populated woes database survives pg_dump -Fc / pg_restore
# into a new database row for row, in every table of schema woes (found in
# the catalog, so a new table is covered), and keeps working afterwards:
# the next conversation gets the next number, new history rows do not
# collide, doctor() is clean.
#
# Runs against the cluster in PG* (pg_virtualenv in test/run); needs a
# superuser.  Exits non-zero on any difference.
set -euo pipefail

src="woes_dump_src_$$"
dst="woes_dump_dst_$$"
dump="$(mktemp /tmp/woes_dump.XXXXXX)"
failures=0

q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
qa() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

cleanup() {
    rm -f "$dump"
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $src" -c "DROP DATABASE IF EXISTS $dst" >/dev/null 2>&1 || true
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

q -d postgres -c "CREATE DATABASE $src"

echo "== populate $src"
q -d "$src" <<'SQL'
CREATE EXTENSION woes;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_dump_bi') THEN
        CREATE ROLE woes_dump_bi LOGIN IN ROLE woes_analyst;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'woes_dump_admin') THEN
        CREATE ROLE woes_dump_admin NOLOGIN IN ROLE woes_admin;
    END IF;
END;
$$;
-- a channel added by the site (builtin channels come with the extension)
INSERT INTO woes.channels (name, description) VALUES ('sms', 'SMS gateway; thread reference: the phone number');

SELECT woes.create_workspace('dump-one', 'Dump One') \g /dev/null
SELECT woes.create_workspace('dump-two', 'Dump Two') \g /dev/null
SQL

# the same shape of data in both workspaces, written by a woes_admin member
# (not a superuser: row-level security scopes every statement below)
for slug in dump-one dump-two; do
    q -d "$src" -v slug="$slug" <<'SQL'
SELECT id AS ws FROM woes.workspaces WHERE slug = :'slug' \gset
SET ROLE woes_dump_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin') \g /dev/null
SELECT woes.add_operator('Olga', 'olga@' || :'slug' || '.test') AS op1 \gset
SELECT woes.add_operator('Piet', 'piet@' || :'slug' || '.test') AS op2 \gset
SELECT woes.add_team('Billing') AS team \gset
SELECT woes.add_team_member(:'team', :'op1') \g /dev/null
SELECT woes.add_team_member(:'team', :'op2') \g /dev/null
SELECT woes.add_agent('helper') AS agent \gset
SELECT woes.upsert_contact('email', 'carol@example.com', 'Carol', 'carol@example.com') AS c1 \gset
SELECT woes.upsert_contact('discord', '1234567890', 'Dave') AS c2 \gset
SELECT woes.upsert_contact('sms', '+15550100') AS c3 \gset
INSERT INTO woes.conversations (contact_id, channel, subject, assignee_id, team_id, thread_ref)
VALUES (:'c1', 'email', 'refund', :'op1', :'team', '<a@mail>'),
       (:'c2', 'discord', 'bug', NULL, NULL, 'thread-1'),
       (:'c3', 'sms', 'hello', NULL, :'team', '+15550100');
SELECT woes.define_field('priority', 'select', '["low", "high"]', true) \g /dev/null
SELECT woes.define_field('areas', 'multi_select', '["billing", "login"]') \g /dev/null
INSERT INTO woes.conversation_fields (conversation_id, key, value)
SELECT id, 'priority', '"high"' FROM woes.conversations WHERE number = 1;
SELECT woes.set_field(id, 'areas', '["billing"]') FROM woes.conversations WHERE number = 1 \g /dev/null
INSERT INTO woes.conversations (contact_id, channel, subject, previous_conversation_id)
SELECT :'c1', 'email', 'follow-up', id FROM woes.conversations WHERE number = 1;
INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, visibility, body, channel, external_id)
SELECT c.id, c.contact_id, 'customer', c.contact_id, 'public', 'help with ' || c.subject, c.channel, 'ext-' || c.number
  FROM woes.conversations c;
INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, visibility, body)
SELECT c.id, c.contact_id, 'operator', :'op1'::uuid, 'internal', 'note on ' || c.subject
  FROM woes.conversations c WHERE c.number IN (1, 2);
INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, visibility, body)
SELECT c.id, c.contact_id, 'agent', :'agent'::uuid, 'internal', 'suggestion for ' || c.subject
  FROM woes.conversations c WHERE c.number = 2;
INSERT INTO woes.message_traces (message_id, author_id, trace)
SELECT m.id, m.author_id, '{"steps": 3, "model": "test"}' FROM woes.messages m WHERE m.author_kind = 'agent';
INSERT INTO woes.participants (conversation_id, kind, contact_id)
SELECT c.id, 'customer', c.contact_id FROM woes.conversations c;
INSERT INTO woes.participants (conversation_id, kind, operator_id)
SELECT c.id, 'operator', :'op1'::uuid FROM woes.conversations c WHERE c.number = 1;
INSERT INTO woes.participants (conversation_id, kind, external_ref, display_name)
SELECT c.id, 'channel', 'cc@example.com', 'In copy' FROM woes.conversations c WHERE c.number = 1;
INSERT INTO woes.thread_refs (channel, ref, conversation_id)
SELECT c.channel, c.thread_ref, c.id FROM woes.conversations c WHERE c.thread_ref IS NOT NULL;
-- some history
UPDATE woes.conversations SET status = 'pending' WHERE number = 2;
SELECT woes.set_field(id, 'priority', '"low"') FROM woes.conversations WHERE number = 3 \g /dev/null
UPDATE woes.conversations SET status = 'resolved' WHERE number = 3;
UPDATE woes.conversations SET status = 'open' WHERE number = 3;
UPDATE woes.conversations SET control = 'handoff_requested' WHERE number = 2;
SELECT woes.define_tag('Refunds', '#00aa00', 'Money back') \g /dev/null
SELECT count(woes.tag(id, 'refunds')) FROM woes.conversations WHERE number IN (1, 2) \g /dev/null
SELECT woes.define_macro('Refunded', '[{"action": "tag", "tag": "refunds"}, {"action": "note", "body": "refunded"}]') \g /dev/null
SELECT woes.apply_macro(id, 'refunded') FROM woes.conversations WHERE number = 4 \g /dev/null
SELECT woes.link_issue(id, 'linear', 'ENG-' || number % 2) AS issue FROM woes.conversations WHERE number IN (1, 2, 3) \g /dev/null
SELECT count(woes.set_issue_state(id, 'in_progress', 'Doing')) FROM woes.issues \g /dev/null
-- a public operator reply (its reply time)
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
SELECT id, 'operator', :'op1'::uuid, 'on it' FROM woes.conversations WHERE number = 1;
-- a duplicate of the follow-up, merged into it
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'c1', 'email', 'duplicate');
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
SELECT id, 'customer', :'c1'::uuid, 'me again' FROM woes.conversations WHERE number = 5;
SELECT woes.merge((SELECT id FROM woes.conversations WHERE number = 5),
                  (SELECT id FROM woes.conversations WHERE number = 4), 'duplicate') \g /dev/null
COMMIT;
SQL
done

# a role binding
q -d "$src" <<'SQL'
SELECT id AS ws FROM woes.workspaces WHERE slug = 'dump-one' \gset
SET ROLE woes_dump_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin') \g /dev/null
SELECT woes.bind_role('woes_dump_bi', :'ws', 'analyst') \g /dev/null
COMMIT;
SQL

echo "== doctor in $src"
bad=$(qa -d "$src" -c "SELECT string_agg(\"check\", ', ') FROM woes.doctor() WHERE NOT ok")
[ -z "$bad" ] || fail "doctor() in the source database: $bad"

echo "== pg_dump -Fc | pg_restore into $dst"
pg_dump -Fc -d "$src" -f "$dump"
q -d postgres -c "CREATE DATABASE $dst"
pg_restore --exit-on-error -d "$dst" "$dump"

# Every table of schema woes, as each database's catalog lists them, with
# its row count and a digest of all its rows (row_security off as
# superuser: every row, whatever the policies say); then every sequence.
digests() {
    qa -d "$1" -c "SET row_security = off" -c "
        SELECT c.relname || ' ' || (xpath('/row/d/text()', query_to_xml(format(
                   'SELECT count(*) || '' rows, '' || coalesce(md5(string_agg(t::text, '','' ORDER BY t::text)), ''empty'') AS d
                      FROM woes.%I t', c.relname), false, true, '')))[1]::text
          FROM pg_class c
         WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY c.relname"
}
sequences() {
    qa -d "$1" -c "
        SELECT c.relname || ' sequence at ' || (xpath('/row/d/text()', query_to_xml(format(
                   'SELECT last_value || ''/'' || is_called AS d FROM woes.%I', c.relname), false, true, '')))[1]::text
          FROM pg_class c
         WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'S'
         ORDER BY c.relname"
}

echo "== compare every table and sequence"
src_tables=$(digests "$src")
dst_tables=$(digests "$dst")
echo "$src_tables" | sed 's/^/  /'
[ "$(echo "$src_tables" | wc -l)" -ge 12 ] || fail "too few tables found"
if [ "$src_tables" != "$dst_tables" ]; then
    fail "tables differ after the restore:"
    diff <(echo "$src_tables") <(echo "$dst_tables") | sed 's/^/    /' || true
fi
# a table this test leaves empty proves nothing: give it data above
while read -r t rest; do
    case "$rest" in "0 rows"*) fail "table woes.$t was not populated by this test" ;; esac
done <<< "$src_tables"
# the builtin channels are not dumped (the extension makes them), the
# site's own one is
n=$(qa -d "$dst" -c "SELECT count(*) FROM woes.channels WHERE name = 'sms' AND NOT builtin")
[ "$n" = 1 ] || fail "the site's channel was not restored"

src_seqs=$(sequences "$src")
dst_seqs=$(sequences "$dst")
echo "$src_seqs" | sed 's/^/  /'
if [ "$src_seqs" != "$dst_seqs" ]; then
    fail "sequences differ after the restore:"
    diff <(echo "$src_seqs") <(echo "$dst_seqs") | sed 's/^/    /' || true
fi

# every identity/serial column: its sequence is at or past the column's
# highest restored value (else new rows would reuse ids and break the
# order of the history tables)
while IFS='|' read -r seq tbl col; do
    [ -n "$seq" ] || continue
    r=$(qa -d "$dst" -c "SET row_security = off" \
           -c "SELECT coalesce(max($col), 0) <= (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END
                                                   FROM woes.$seq)
                 FROM woes.$tbl")
    [ "$r" = t ] || fail "sequence woes.$seq is behind woes.$tbl.$col after the restore"
done < <(qa -d "$dst" -c "SELECT s.relname, t.relname, a.attname
                            FROM pg_depend d
                            JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                            JOIN pg_class t ON t.oid = d.refobjid
                            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
                           WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
                             AND d.deptype IN ('a', 'i') AND s.relnamespace = 'woes'::regnamespace
                           ORDER BY 1")

echo "== the restored database keeps working"
bad=$(qa -d "$dst" -c "SELECT string_agg(\"check\", ', ') FROM woes.doctor() WHERE NOT ok")
[ -z "$bad" ] || fail "doctor() in the restored database: $bad"

for slug in dump-one dump-two; do
    # the next conversation gets the next number (not 1, not a duplicate),
    # and its history rows do not collide with restored ones
    res=$(qa -d "$dst" -v slug="$slug" <<'SQL'
SELECT w.id AS ws, coalesce(n.last_conversation_number, 0) AS last
  FROM woes.workspaces w LEFT JOIN woes.workspace_counters n ON n.workspace_id = w.id WHERE w.slug = :'slug' \gset
SET ROLE woes_dump_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin') \g /dev/null
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT id, 'email', 'after restore' FROM woes.contacts ORDER BY id LIMIT 1
RETURNING number = :last + 1 AS next_number;
UPDATE woes.conversations SET status = 'pending' WHERE number IN (1, 6) \g /dev/null
COMMIT;
SQL
) || { fail "writing to $slug after the restore failed"; continue; }
    [ "$res" = t ] || fail "$slug: the first conversation after the restore did not get the next number ($res)"
done

# nothing was renumbered by the restore: 1..5 came back, 6 is new
for slug in dump-one dump-two; do
    b=$(qa -d "$dst" -c "SELECT string_agg(number::text, ',' ORDER BY number) FROM woes.conversations c
                          JOIN woes.workspaces w ON w.id = c.workspace_id WHERE w.slug = '$slug'")
    echo "  $slug: conversation numbers after the restore and one more: $b"
    [ "$b" = "1,2,3,4,5,6" ] || fail "$slug: numbers are $b, expected 1,2,3,4,5,6"
done

# role bindings: the binding row is data and comes back; the per-role
# default context lives in the cluster (ALTER ROLE ... IN DATABASE), not in
# the dump, so it must be bound again in the new database
bound=$(qa -d "$dst" -c "SET row_security = off" -c "SELECT count(*) FROM woes.role_bindings")
[ "$bound" = 1 ] || fail "role binding rows: $bound"
effective=$(qa -d "$dst" -c "SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
                              WHERE d.datname = current_database() AND s.setrole = 'woes_dump_bi'::regrole")
echo "  role_bindings rows restored: $bound; per-role defaults in the new database: $effective (bind again after a restore)"

# clean up the role's binding in the source database before it is dropped
q -d "$src" <<'SQL'
SELECT id AS ws FROM woes.workspaces WHERE slug = 'dump-one' \gset
SET ROLE woes_dump_admin;
BEGIN;
SELECT woes.set_context(:'ws', 'admin') \g /dev/null
SELECT woes.unbind_role('woes_dump_bi') \g /dev/null
COMMIT;
SQL

if [ "$failures" -gt 0 ]; then
    echo "dump_restore: $failures failure(s)"
    exit 1
fi
echo "dump_restore: ok"

#!/usr/bin/env bash
# Binary input of the one-byte enum types (their _recv functions), through
# COPY ... (FORMAT binary): values round-trip, and a bad label is an error
# (22P02), never a crash.  A shell test rather than a pg_regress one so that
# a crashing backend takes nothing else down with it; it checks that the
# server is still up afterwards.
set -uo pipefail

db="woes_binary_io_$$"
file="$(mktemp /tmp/woes_binary_io.XXXXXX)"
cleanup() {
    rm -f "$file"
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -qX -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $db" || exit 1

out=$(psql -X -q -At -d "$db" 2>&1 <<SQL
CREATE EXTENSION woes;
CREATE TABLE src (s woes.status, a woes.audience, v woes.visibility, c woes.control);
INSERT INTO src VALUES ('snoozed', 'analyst', 'debug', 'handoff_requested'),
                       ('open', 'customer', 'public', 'automation'),
                       ('closed', 'admin', 'internal', 'operator'),
                       (NULL, NULL, NULL, NULL);
\\copy src TO '$file' (FORMAT binary)
CREATE TABLE dst (LIKE src);
\\copy dst FROM '$file' (FORMAT binary)
SELECT 'round trip: ' || coalesce(s::text, '-') || ' ' || coalesce(a::text, '-') || ' ' ||
       coalesce(v::text, '-') || ' ' || coalesce(c::text, '-') FROM dst ORDER BY s NULLS LAST;
SELECT 'same rows: ' || (SELECT count(*) FROM (SELECT * FROM src EXCEPT SELECT * FROM dst) d)::text || ' differ';
\\copy (SELECT 'bogus'::text) TO '$file' (FORMAT binary)
CREATE TABLE bad (s woes.status);
\\copy bad FROM '$file' (FORMAT binary)
\\copy (SELECT ''::text) TO '$file' (FORMAT binary)
CREATE TABLE bad_audience (a woes.audience);
\\copy bad_audience FROM '$file' (FORMAT binary)
\\copy (SELECT 'Closed'::text) TO '$file' (FORMAT binary)
\\copy bad FROM '$file' (FORMAT binary)
SELECT 'loaded: ' || (SELECT count(*) FROM bad) + (SELECT count(*) FROM bad_audience);
SQL
)
echo "$out"

expected='round trip: open customer public automation
round trip: snoozed analyst debug handoff_requested
round trip: closed admin internal operator
round trip: - - - -
same rows: 0 differ
ERROR:  invalid input value for woes.status: "bogus"
HINT:  Valid values are: open, pending, snoozed, resolved, closed.
CONTEXT:  COPY bad, line 1, column s
ERROR:  invalid input value for woes.audience: ""
HINT:  Valid values are: customer, agent, operator, analyst, admin.
CONTEXT:  COPY bad_audience, line 1, column a
ERROR:  invalid input value for woes.status: "Closed"
HINT:  Valid values are: open, pending, snoozed, resolved, closed.
CONTEXT:  COPY bad, line 1, column s
loaded: 0'

status=0
if [ "$out" != "$expected" ]; then
    echo "FAIL: unexpected output; expected:"
    echo "$expected"
    diff <(echo "$expected") <(echo "$out")
    status=1
fi
# the server must have survived
sleep 1
if ! psql -qX -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    echo "FAIL: the server is down after binary input"
    status=1
fi
[ "$status" -eq 0 ] && echo "types_binary_io: ok"
exit $status

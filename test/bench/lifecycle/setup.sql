-- Data for the lifecycle benchmark (test/bench/lifecycle/run.sh).
--   psql -v conversations=20000 -f setup.sql
-- One workspace, :conversations conversations (all open), inserted through
-- the API's write path (context, allocate_number and lifecycle triggers,
-- one creation event each), and bench.conv: a plain copy of
-- woes.conversations (same columns, defaults, checks and indexes; no
-- trigger, no history, no RLS) holding the same rows.
--
-- Conversation n (1..:conversations) has the id bench.conv_id(n), so a
-- pgbench script computes its ids from integers and needs no lookup.
\set ON_ERROR_STOP on
\if :{?conversations}
\else
\set conversations 20000
\endif

CREATE EXTENSION woes;
CREATE SCHEMA bench;
CREATE FUNCTION bench.conv_id(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid;

SELECT woes.create_workspace('bench-lifecycle', 'Lifecycle benchmark') AS ws \gset

BEGIN;
-- admin: the import path, the one audience that may give rows their own ids
SELECT woes.set_context(:'ws', 'admin') \g /dev/null
INSERT INTO woes.contacts (id, name)
SELECT ('00000000-0000-7000-9000-' || lpad(n::text, 12, '0'))::uuid, 'contact ' || n
  FROM generate_series(1, greatest(:conversations / 10, 1)) n;
INSERT INTO woes.conversations (id, channel, contact_id, subject, thread_ref, last_message_at)
SELECT bench.conv_id(n), 'api',
       ('00000000-0000-7000-9000-' || lpad((n % greatest(:conversations / 10, 1) + 1)::text, 12, '0'))::uuid,
       'conversation ' || n, 'bench-' || n, now() - n * interval '1 minute'
  FROM generate_series(1, :conversations) n;
COMMIT;

CREATE TABLE bench.conv (LIKE woes.conversations INCLUDING ALL);
INSERT INTO bench.conv SELECT * FROM woes.conversations;

VACUUM ANALYZE woes.conversations, woes.status_events, bench.conv;

SELECT (SELECT count(*) FROM woes.conversations) AS conversations,
       (SELECT count(*) FROM woes.status_events) AS events,
       (SELECT count(*) FROM bench.conv) AS baseline_rows,
       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'woes' AND tablename = 'conversations') AS woes_indexes,
       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'bench' AND tablename = 'conv') AS baseline_indexes;

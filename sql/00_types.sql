-- The one-byte enumerated types (woes.status, woes.audience,
-- woes.visibility, woes.control) and the UUIDv7 functions.
-- The types' operators live in schema woes, like the types; sessions that
-- compare them with = or < put woes on their search_path.
SET search_path = public, woes;

--------------------------------------------------------------------------
-- Input and output
--------------------------------------------------------------------------
SELECT s::woes.status AS status, s::woes.status::text = s AS round_trip
  FROM unnest(ARRAY['open', 'pending', 'snoozed', 'resolved', 'closed']) WITH ORDINALITY AS u (s, n)
 ORDER BY n;
SELECT s::woes.audience AS audience FROM unnest(ARRAY['customer', 'agent', 'operator', 'analyst', 'admin']) s;
SELECT s::woes.visibility AS visibility FROM unnest(ARRAY['public', 'internal', 'debug']) s;
SELECT s::woes.control AS control FROM unnest(ARRAY['automation', 'handoff_requested', 'operator']) s;
SELECT NULL::woes.status IS NULL AS null_ok;
-- bad literals: 22P02, with the valid labels in the hint
SELECT 'opened'::woes.status;
SELECT 'OPEN'::woes.status;
SELECT ''::woes.audience;
SELECT 'none'::woes.audience;
SELECT 'secret'::woes.visibility;
SELECT 'bot'::woes.control;
\set VERBOSITY terse
SELECT try_sql($$SELECT 'Open'::woes.status$$);
SELECT try_sql($$SELECT ' open'::woes.status$$);
SELECT try_sql($$SELECT 'open '::woes.status$$);
SELECT try_sql($$SELECT E'open\n'::woes.status$$);
SELECT left(try_sql($$SELECT repeat('x', 10000)::woes.status$$), 60) AS long_input;
\set VERBOSITY default
-- one byte, passed by value
SELECT t.typname, t.typlen, t.typbyval, t.typcategory
  FROM pg_type t WHERE t.typnamespace = 'woes'::regnamespace AND t.typtype = 'b' AND t.typname NOT LIKE '\_%'
 ORDER BY 1;
SELECT pg_column_size('closed'::woes.status) AS bytes;
-- arrays
SELECT '{closed,open,pending}'::woes.status[] AS arr, ('{closed,open}'::woes.status[])[2] AS second;

--------------------------------------------------------------------------
-- Order, comparison, grouping, joins, indexes
--------------------------------------------------------------------------
CREATE TEMP TABLE st (id int, s woes.status);
INSERT INTO st SELECT i, (ARRAY['closed', 'open', 'resolved', 'pending', 'snoozed'])[1 + i % 5]::woes.status
  FROM generate_series(1, 1000) i;
INSERT INTO st VALUES (0, NULL);
-- lifecycle order, not alphabetical
SELECT DISTINCT s FROM st ORDER BY s;
SELECT s FROM st GROUP BY s ORDER BY s DESC NULLS LAST;
SELECT 'open'::woes.status < 'pending', 'pending'::woes.status < 'snoozed', 'snoozed'::woes.status < 'resolved',
       'resolved'::woes.status < 'closed', 'closed'::woes.status > 'open', 'open'::woes.status <= 'open',
       'open'::woes.status >= 'closed', 'open'::woes.status = 'open', 'open'::woes.status <> 'open';
SELECT sign(woes.status_cmp('open', 'closed')) AS lt, sign(woes.status_cmp('closed', 'closed')) AS eq,
       sign(woes.status_cmp('closed', 'open')) AS gt;
SELECT woes.status_hash('open') = woes.status_hash('open') AS hash_stable,
       woes.status_hash('open') <> woes.status_hash('closed') AS hash_differs,
       woes.status_hash_extended('open', 0) = woes.status_hash_extended('open', 0) AS ext_stable,
       woes.status_hash_extended('open', 0) <> woes.status_hash_extended('open', 1) AS seed_matters;
-- GROUP BY and DISTINCT, by sorting and by hashing, agree
SET enable_hashagg = off;
EXPLAIN (COSTS OFF) SELECT s, count(*) FROM st GROUP BY s;
SELECT s, count(*) FROM st GROUP BY s ORDER BY s;
RESET enable_hashagg;
SET enable_sort = off;
EXPLAIN (COSTS OFF) SELECT s, count(*) FROM st GROUP BY s;
SELECT s, count(*) FROM st GROUP BY s ORDER BY 2, 1;
EXPLAIN (COSTS OFF) SELECT DISTINCT s FROM st;
SELECT count(*) FROM (SELECT DISTINCT s FROM st) d;
RESET enable_sort;
-- hash join and merge join on the type
CREATE TEMP TABLE labels (s woes.status, label text);
INSERT INTO labels VALUES ('open', 'new work'), ('pending', 'waiting on them'), ('closed', 'done');
ANALYZE st, labels;
SET enable_nestloop = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF) SELECT l.label, count(*) FROM st JOIN labels l ON l.s = st.s GROUP BY l.label;
SELECT l.label, count(*) FROM st JOIN labels l ON l.s = st.s GROUP BY l.label ORDER BY 1;
RESET enable_mergejoin;
SET enable_hashjoin = off;
EXPLAIN (COSTS OFF) SELECT l.label, count(*) FROM st JOIN labels l ON l.s = st.s GROUP BY l.label;
SELECT l.label, count(*) FROM st JOIN labels l ON l.s = st.s GROUP BY l.label ORDER BY 1;
RESET enable_hashjoin;
RESET enable_nestloop;
-- btree and hash indexes
CREATE INDEX st_s_btree ON st (s);
CREATE INDEX st_s_hash ON st USING hash (s);
SET enable_seqscan = off;
SET enable_bitmapscan = off;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st WHERE s >= 'resolved';
SELECT count(*) FROM st WHERE s >= 'resolved';
EXPLAIN (COSTS OFF) SELECT s FROM st WHERE s > 'open' ORDER BY s LIMIT 3;
SELECT s FROM st WHERE s > 'open' ORDER BY s LIMIT 3;
DROP INDEX st_s_btree;
EXPLAIN (COSTS OFF) SELECT count(*) FROM st WHERE s = 'pending';
SELECT count(*) FROM st WHERE s = 'pending';
RESET enable_bitmapscan;
RESET enable_seqscan;
-- the conversations' inbox index uses it too
SELECT count(*) AS inbox_index FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
 WHERE c.relname = 'conversations_inbox_idx';

--------------------------------------------------------------------------
-- Casts
--------------------------------------------------------------------------
SELECT 'pending'::text::woes.status AS from_text, 'pending'::woes.status::text AS to_text,
       CAST('closed' AS woes.status) AS cast_syntax, 'state: ' || 'snoozed'::woes.status AS concat;
SELECT castsource::regtype, casttarget::regtype, castcontext, castmethod
  FROM pg_cast WHERE castsource IN ('woes.status'::regtype, 'woes.audience'::regtype)
     OR casttarget IN ('woes.status'::regtype, 'woes.audience'::regtype)
 ORDER BY 1::text, 2::text;
-- assignment to text works without a cast; text to status needs one
CREATE TEMP TABLE t_text (t text);
INSERT INTO t_text SELECT 'resolved'::woes.status;
SELECT t FROM t_text;
CREATE TEMP TABLE t_status (s woes.status);
INSERT INTO t_status SELECT 'resolved'::text;
INSERT INTO t_status VALUES ('resolved');
SELECT s FROM t_status;
-- distinct types do not mix
SELECT 'open'::woes.status = 'public'::woes.visibility;

--------------------------------------------------------------------------
-- UUID version 7
--------------------------------------------------------------------------
SELECT woes.uuid_generate_v7() AS u \gset
SELECT substr(:'u', 15, 1) AS version_digit, get_byte(uuid_send(:'u'), 6) >> 4 AS version,
       get_byte(uuid_send(:'u'), 8) >> 6 AS variant;
-- monotonic within a session: 1000 ids strictly increasing, all distinct
WITH g AS (SELECT n, woes.uuid_generate_v7() AS id FROM generate_series(1, 1000) n)
SELECT count(*) AS ids, count(DISTINCT id) AS distinct_ids,
       bool_and(id > prev) FILTER (WHERE prev IS NOT NULL) AS strictly_increasing,
       bool_and(substr(id::text, 15, 1) = '7') AS all_v7
  FROM (SELECT n, id, lag(id) OVER (ORDER BY n) AS prev FROM g) s;
-- also when more than 4096 are made in one millisecond (the counter
-- borrows the next millisecond rather than wrapping)
WITH g AS (SELECT n, woes.uuid_generate_v7() AS id FROM generate_series(1, 20000) n)
SELECT bool_and(id > prev) FILTER (WHERE prev IS NOT NULL) AS strictly_increasing
  FROM (SELECT n, id, lag(id) OVER (ORDER BY n) AS prev FROM g) s;
-- the time it carries is now (millisecond precision)
SELECT abs(extract(epoch FROM woes.uuid_v7_time(woes.uuid_generate_v7()) - clock_timestamp())) < 1 AS close_to_now;
SELECT woes.uuid_v7_time(woes.uuid_generate_v7()) <= clock_timestamp() AS not_in_future;
-- the RFC 9562 example id, a v4 id, NULL
SET timezone = 'UTC';
SELECT to_char(woes.uuid_v7_time('017f22e2-79b0-7cc3-98c4-dc0c0c07398f'), 'YYYY-MM-DD HH24:MI:SS.MS TZ') AS rfc_example;
SELECT woes.uuid_v7_time('919108f7-52d1-4320-9bac-f847db4148a8') IS NULL AS v4_has_no_time,
       woes.uuid_v7_time(NULL) IS NULL AS null_in_null_out;
RESET timezone;
-- every uuid id column gets it from the assign_id trigger (no default: a
-- writer cannot choose ids; see 10_context_attacks)
SELECT count(*) >= 8 AS enough_id_columns,
       count(*) FILTER (WHERE d.adbin IS NOT NULL) AS with_default,
       count(*) FILTER (WHERE NOT EXISTS (
           SELECT FROM pg_trigger t
            WHERE t.tgrelid = c.oid AND t.tgname = '_assign_id'
              AND t.tgfoid = 'woes.assign_id()'::regprocedure)) AS without_trigger
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r' AND a.attname = 'id'
   AND a.atttypid = 'uuid'::regtype;

--------------------------------------------------------------------------
-- Binary output is the label text (binary input, through COPY BINARY, is
-- tested by test/sh/types_binary_io.sh)
--------------------------------------------------------------------------
SELECT woes.status_send('resolved') AS send, woes.audience_send('operator') AS audience_send,
       woes.visibility_send('internal') AS visibility_send, woes.control_send('automation') AS control_send;

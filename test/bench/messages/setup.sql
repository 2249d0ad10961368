-- Data for the messages benchmark (test/bench/messages/run.sh), run as the
-- superuser in a fresh database:
--   psql -v threads=2000 -v conversations=2000 -v contacts=800 \
--        -v other_conversations=1000 -v min_messages=20 -v max_messages=300 -f setup.sql
--
-- Three workspaces:
--   bench-read   :conversations conversations of :contacts contacts (contact
--                of conversation n: bench.contact_id(n % :contacts + 1)), each
--                with :min_messages to :max_messages messages: public,
--                internal and debug, written by the customer, operators and
--                agents, interleaved in time across conversations;
--   bench-other  the same shape with :other_conversations conversations (so
--                the workspace test has rows to skip);
--   bench-intake :threads live_chat threads made by woes.receive_message
--                (thread "chat-n", sender "visitor-n"), one message each.
-- The messages of bench-read and bench-other are written set-based with
-- row_security off (the woes triggers stand down, as in a restore), so
-- contact_id is set from the conversation here.
--
-- bench.messages: LIKE woes.messages INCLUDING ALL (same columns, defaults,
-- checks and indexes; no trigger, no foreign key, no RLS), holding a copy of
-- every row of woes.messages.  bench.threads: thread n -> its conversation
-- and contact (for the baseline INSERT).
\set ON_ERROR_STOP on
\if :{?threads}
\else
\set threads 2000
\endif
\if :{?conversations}
\else
\set conversations 2000
\endif
\if :{?contacts}
\else
\set contacts 800
\endif
\if :{?other_conversations}
\else
\set other_conversations 1000
\endif
\if :{?min_messages}
\else
\set min_messages 20
\endif
\if :{?max_messages}
\else
\set max_messages 300
\endif

CREATE EXTENSION woes;
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION pg_prewarm;
CREATE SCHEMA bench;
-- ids computed from integers, so pgbench scripts need no lookup
CREATE FUNCTION bench.conv_id(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('00000000-0000-7000-8000-' || lpad(n::text, 12, '0'))::uuid;
CREATE FUNCTION bench.contact_id(n bigint) RETURNS uuid
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ('00000000-0000-7000-9000-' || lpad(n::text, 12, '0'))::uuid;
CREATE TABLE bench.meta (key text PRIMARY KEY, value text NOT NULL);
-- for steps.sql: the cost of a plpgsql call, and of its SET search_path
CREATE FUNCTION bench.noop(i int) RETURNS void LANGUAGE plpgsql AS $$ BEGIN END; $$;
CREATE FUNCTION bench.noop_set_search_path(i int) RETURNS void LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp AS $$ BEGIN END; $$;

SELECT woes.create_workspace('bench-read', 'Messages benchmark: reads') AS ws_read \gset
SELECT woes.create_workspace('bench-other', 'Messages benchmark: another workspace') AS ws_other \gset
SELECT woes.create_workspace('bench-intake', 'Messages benchmark: intake') AS ws_intake \gset
INSERT INTO bench.meta VALUES ('ws_read', :'ws_read'), ('ws_other', :'ws_other'), ('ws_intake', :'ws_intake'),
    ('conversations', :'conversations'), ('contacts', :'contacts'), ('threads', :'threads');

-- One read-shaped workspace: contacts, operators, agents and conversations
-- through the API's write path (context, numbering and lifecycle triggers),
-- then the messages set-based.  The other workspace uses ids from 1000001 up.
CREATE PROCEDURE bench.fill(ws uuid, conversations int, contacts int, base int, min_messages int, max_messages int)
LANGUAGE plpgsql AS $$
DECLARE
    ops uuid[];
    ags uuid[];
BEGIN
    -- admin: the import path, the one audience that may give rows their
    -- own ids (the scripts compute them: bench.contact_id, bench.conv_id)
    PERFORM woes.set_context(ws, 'admin');
    FOR i IN 1..5 LOOP
        ops := ops || woes.add_operator('Operator ' || i, 'op' || i || '@bench.example');
    END LOOP;
    INSERT INTO woes.agents (name) VALUES ('Agent 1'), ('Agent 2');
    SELECT array_agg(id ORDER BY name) INTO ags FROM woes.agents WHERE workspace_id = ws;
    INSERT INTO woes.contacts (id, name, email)
    SELECT bench.contact_id(base + k), 'Contact ' || k, 'c' || k || '@customer.example'
      FROM generate_series(1, contacts) k;
    INSERT INTO woes.conversations (id, channel, contact_id, subject, thread_ref)
    SELECT bench.conv_id(base + n), 'live_chat', bench.contact_id(base + n % contacts + 1),
           'Conversation ' || n, 'read-' || (base + n)
      FROM generate_series(1, conversations) n;

    -- the messages: as in a restore (row_security off: the triggers stand
    -- down; the superuser bypasses RLS), so contact_id is set here.  Time
    -- order interleaves the conversations, as real traffic does, and the
    -- v7 ids follow the insertion order.
    SET LOCAL row_security = off;
    INSERT INTO woes.messages (workspace_id, conversation_id, contact_id, author_kind, author_id,
                               visibility, body, grounding, channel, created_at)
    SELECT ws, bench.conv_id(base + n), bench.contact_id(base + n % contacts + 1), kind,
           CASE kind WHEN 'customer' THEN bench.contact_id(base + n % contacts + 1)
                     WHEN 'operator' THEN ops[1 + (n + j) % 5]
                     ELSE ags[1 + (n + j) % 2] END,
           vis::woes.visibility,
           left(repeat(md5(n || '/' || j), 8), 30 + ((n * 7919 + j * 104729) % 220)),
           CASE WHEN kind = 'agent' AND vis = 'public'
                THEN '[{"url": "https://docs.bench.example/a", "title": "A"}]'::jsonb END,
           'live_chat', at
      FROM (SELECT n, j, r,
                   CASE WHEN r < 0.45 THEN 'customer' WHEN r < 0.70 THEN 'operator'
                        WHEN r < 0.82 THEN 'agent' WHEN r < 0.90 THEN 'operator' ELSE 'agent' END AS kind,
                   CASE WHEN r < 0.82 THEN 'public' WHEN r < 0.94 THEN 'internal' ELSE 'debug' END AS vis,
                   now() - interval '30 days'
                       + ((hashint8(n::bigint * 1000 + j + 7) & 2147483647) / 2147483648.0) * interval '30 days' AS at
              FROM generate_series(1, conversations) n,
                   LATERAL generate_series(1, min_messages
                           + ((hashint4(n + base) & 2147483647) % (max_messages - min_messages + 1))) j,
                   -- a reproducible draw in [0, 1) per message
                   LATERAL (VALUES ((hashint8((n + base)::bigint * 1000 + j) & 2147483647) / 2147483648.0)) x(r)) m
     ORDER BY at;
    -- the conversations' clocks, as the intake would have left them
    UPDATE woes.conversations c SET last_message_at = m.last
      FROM (SELECT conversation_id, max(created_at) AS last FROM woes.messages
             WHERE workspace_id = ws GROUP BY 1) m
     WHERE c.workspace_id = ws AND c.id = m.conversation_id;
END;
$$;

BEGIN;
CALL bench.fill(:'ws_read', :conversations, :contacts, 0, :min_messages, :max_messages);
COMMIT;
BEGIN;
CALL bench.fill(:'ws_other', :other_conversations, greatest(:contacts * :other_conversations / :conversations, 1),
                1000000, :min_messages, :max_messages);
COMMIT;

-- The intake workspace: :threads live chat threads, each made by a first
-- message through woes.receive_message.
BEGIN;
SELECT woes.set_context(:'ws_intake', 'operator') \g /dev/null
SELECT count(woes.receive_message('live_chat', 'chat-' || n, 'visitor-' || n, 'Hello, I need help with order ' || n,
                                  'seed-' || n, 'Visitor ' || n, now() - interval '1 hour'))
  FROM generate_series(1, :threads) n \g /dev/null
COMMIT;
CREATE TABLE bench.threads (n int PRIMARY KEY, conversation_id uuid NOT NULL, contact_id uuid NOT NULL);
INSERT INTO bench.threads
SELECT substr(r.ref, 6)::int, r.conversation_id, c.contact_id
  FROM woes.thread_refs r
  JOIN woes.conversations c ON c.workspace_id = r.workspace_id AND c.id = r.conversation_id
 WHERE r.workspace_id = :'ws_intake' AND r.channel = 'live_chat';

-- the baseline table: woes.messages' shape, none of its machinery
CREATE TABLE bench.messages (LIKE woes.messages INCLUDING ALL);
-- woes makes message ids in a trigger; the baseline makes them the plain way
ALTER TABLE bench.messages ALTER COLUMN id SET DEFAULT woes.uuid_generate_v7();
INSERT INTO bench.messages SELECT * FROM woes.messages;

VACUUM ANALYZE;

SELECT (SELECT count(*) FROM woes.messages WHERE workspace_id = :'ws_read') AS read_messages,
       (SELECT count(*) FROM woes.messages WHERE workspace_id = :'ws_read' AND visibility OPERATOR(woes.=) 'public') AS read_public,
       (SELECT count(*) FROM woes.messages) AS all_messages,
       (SELECT count(*) FROM bench.messages) AS baseline_rows,
       (SELECT count(*) FROM bench.threads) AS threads,
       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'woes' AND tablename = 'messages') AS woes_indexes,
       (SELECT count(*) FROM pg_indexes WHERE schemaname = 'bench' AND tablename = 'messages') AS baseline_indexes,
       pg_size_pretty(pg_total_relation_size('woes.messages')) AS woes_messages_size;

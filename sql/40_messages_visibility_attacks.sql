-- Visibility attacks: what each audience can get at, by every route we know
-- of: raw table reads, every view, COPY, RETURNING, ON CONFLICT, statistics,
-- and a leaky function in WHERE (cheap, IMMUTABLE: the planner would love
-- to run it first).  Every body says what it is: "public ..."
-- (customer-facing), "note ..." (internal), "debug ..." and traces
-- "TRACE ..." (diagnostics); Dan's start with "dan:".  Then can_see's truth
-- table, its LEAKPROOF marking, and the index scan it allows.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public, woes;
SELECT current_user AS su \gset

-- The attacker's tools, made by the superuser in schema public (as an
-- application with CREATE on some schema could), executable by anyone.
-- v41_leak raises a NOTICE for every value it is shown: the value itself
-- if the reader is not allowed to see it (the setting v41.visible, SET
-- LOCAL in the reader's transaction: a pattern of what the current reader
-- may see), else just "shown".  Printing only the forbidden values keeps
-- this file independent of scan order; a leak shows as "leak:" lines and
-- as more lines.  (NOTICEs, not a count in a session setting: on Citus the
-- function runs in the workers' sessions, whose NOTICEs reach the client.)
CREATE FUNCTION public.v41_leak(text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE COST 0.00001
AS $$
BEGIN
    IF $1 !~ current_setting('v41.visible') THEN
        RAISE NOTICE 'leak: %', $1;
    ELSE
        RAISE NOTICE 'shown';
    END IF;
    RETURN true;
END;
$$;
CREATE FUNCTION public.v41_leak(jsonb) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE COST 0.00001
AS $$
BEGIN
    RETURN public.v41_leak($1::text);
END;
$$;
GRANT EXECUTE ON FUNCTION public.v41_leak(text), public.v41_leak(jsonb) TO PUBLIC;
-- v41_attack(query): run it (as the caller, in the caller's context),
-- after a NOTICE naming it (uuids masked; the values v41_leak is shown
-- follow); how many rows it returned
CREATE FUNCTION public.v41_attack(query text, OUT returned bigint)
    LANGUAGE plpgsql
AS $$
BEGIN
    RAISE NOTICE 'attack: %', regexp_replace(query, '''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}''',
                                             '''<uuid>''', 'g');
    EXECUTE format('SELECT count(*) FROM (%s) q', query) INTO returned;
END;
$$;
-- EXPLAIN: the plan nodes and index conditions (no filters: they spell
-- out the policies), uuids masked
CREATE FUNCTION public.v41_plan(query text) RETURNS SETOF text
    LANGUAGE plpgsql
AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) ' || query LOOP
        CONTINUE WHEN line ~ '^\s*(Filter|Sort Key):';
        RETURN NEXT regexp_replace(line, '''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}''', '''<uuid>''', 'g');
    END LOOP;
END;
$$;
-- an analyst login of our own, bound below
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'v41_bi') THEN
        CREATE ROLE v41_bi LOGIN IN ROLE woes_analyst;
    END IF;
END;
$$;
-- (a password for \c under pg_virtualenv, as in 00_setup)
\getenv pgpassword PGPASSWORD
\if :{?pgpassword}
ALTER ROLE v41_bi PASSWORD :'pgpassword';
\endif

--------------------------------------------------------------------------
-- The data: two customers (Cora, Dan), two agents, an operator; in Cora's
-- conversation every kind of message, with traces; Dan's conversation; a
-- conversation in another workspace.
--------------------------------------------------------------------------
SET ROLE app;
SELECT woes.create_workspace('v41', 'Visibility Inc') AS ws \gset
SELECT woes.create_workspace('v41-other', 'Other Visibility Inc') AS other \gset
BEGIN;
SELECT woes.set_context(:'other', 'operator');
SELECT woes.receive_message('live_chat', 'o-1', 'o-visitor', 'other-ws public from a stranger', 'o-m1') IS NOT NULL AS ok;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.add_operator('Otto', 'otto@v41.test') AS otto \gset
SELECT woes.add_agent('bot') AS bot \gset
SELECT woes.add_agent('bot2') AS bot2 \gset
SELECT woes.receive_message('live_chat', 'chat-cora', 'v-cora', 'public from cora', 'cora-1', 'Cora') AS m \gset
SELECT contact_id AS cora, conversation_id AS ca FROM woes.messages WHERE id = :'m' \gset
SELECT woes.receive_message('live_chat', 'chat-dan', 'v-dan', 'dan: public from dan', 'dan-1', 'Dan') AS m \gset
SELECT contact_id AS dan, conversation_id AS cb FROM woes.messages WHERE id = :'m' \gset
UPDATE woes.conversations SET subject = 'subject of cora' WHERE id = :'ca';
UPDATE woes.conversations SET subject = 'dan: subject of dan' WHERE id = :'cb';
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT woes.reply(:'ca', 'public from bot', grounding => '[{"url": "https://docs.example.com"}]',
                  trace => '{"TRACE": "bot public answer"}') IS NOT NULL AS ok;
SELECT woes.add_note(:'ca', 'note by bot (a suggestion)') IS NOT NULL AS ok;
SELECT woes.reply(:'ca', 'debug by bot', 'debug', trace => '{"TRACE": "bot debug"}') IS NOT NULL AS ok;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot2');
SELECT woes.add_note(:'ca', 'note by bot2') IS NOT NULL AS ok;
SELECT woes.reply(:'ca', 'debug by bot2', 'debug', trace => '{"TRACE": "bot2 debug"}') IS NOT NULL AS ok;
COMMIT;
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'otto');
SELECT woes.add_note(:'ca', 'note by otto') IS NOT NULL AS ok;
SELECT woes.reply(:'ca', 'debug by otto', 'debug', trace => '{"TRACE": "otto debug"}') IS NOT NULL AS ok;
SELECT woes.reply(:'ca', 'public from otto') IS NOT NULL AS ok;
SELECT woes.add_note(:'cb', 'note by otto about dan') IS NOT NULL AS ok;
SELECT woes.reply(:'cb', 'dan: public from otto to dan') IS NOT NULL AS ok;
-- what there is (the operator sees everything in the workspace)
SELECT c.subject, m.author_kind, m.visibility, m.body, t.trace
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
  LEFT JOIN woes.message_traces t ON t.workspace_id = m.workspace_id AND t.message_id = m.id
 ORDER BY c.number, m.id;
COMMIT;

--------------------------------------------------------------------------
-- The customer (Cora), through the application role: only the public
-- messages of her own conversation, never a note, debug text or trace.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'cora');
-- raw reads
SELECT author_kind, visibility, body FROM woes.messages ORDER BY id;
SELECT count(*) AS rows, count(DISTINCT conversation_id) AS conversations FROM woes.messages;
SELECT * FROM woes.message_traces;
SELECT subject FROM woes.conversations ORDER BY number;
SELECT count(*) AS thread_refs FROM woes.thread_refs;
SELECT count(*) AS participants FROM woes.participants;
-- every view
SELECT author_kind, body, redacted FROM woes.customer_messages ORDER BY id;
SELECT subject, status FROM woes.customer_conversations ORDER BY number;
SELECT author_kind, visibility, body, grounding IS NOT NULL AS grounded, trace FROM woes.agent_messages ORDER BY id;
SELECT author_kind, visibility, body, trace FROM woes.operator_messages ORDER BY id;
SELECT subject, contact_name, unread_count FROM woes.inbox ORDER BY number;
-- COPY, of a query and of the table
COPY (SELECT visibility, body FROM woes.messages ORDER BY id) TO STDOUT;
COPY woes.messages (visibility) TO STDOUT;
COPY woes.message_traces (trace) TO STDOUT;
COPY (SELECT body, trace FROM woes.operator_messages ORDER BY id) TO STDOUT;
-- a leaky function in WHERE: it is shown only what the policies let through
-- (SET LOCAL outside psql's savepoint: Citus 12.1 forgets a SET LOCAL made
-- in a released savepoint, for the workers it connects to later)
\set ON_ERROR_ROLLBACK off
SET LOCAL v41.visible = '^(public from |subject of cora$)';
\set ON_ERROR_ROLLBACK on
SELECT q, a.* FROM unnest(ARRAY[
    $$SELECT 1 FROM woes.messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.messages WHERE v41_leak(coalesce(body, visibility::text))$$,
    $$SELECT 1 FROM woes.message_traces WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.messages m JOIN woes.message_traces t ON t.workspace_id = m.workspace_id AND t.message_id = m.id WHERE v41_leak(t.trace)$$,
    $$SELECT 1 FROM woes.conversations WHERE v41_leak(subject)$$,
    $$SELECT 1 FROM woes.customer_messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.customer_conversations WHERE v41_leak(subject)$$,
    $$SELECT 1 FROM woes.agent_messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.agent_messages WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.operator_messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.operator_messages WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.inbox WHERE v41_leak(subject)$$]) WITH ORDINALITY AS t(q, n),
       v41_attack(q) a
 ORDER BY n;
-- the join on the message alone (Citus refuses it: not on the distribution
-- column)
SELECT a.* FROM v41_attack($$SELECT 1 FROM woes.messages m JOIN woes.message_traces t ON t.message_id = m.id WHERE v41_leak(t.trace)$$) a;
-- the same, straight from the prompt (no wrapper)
SELECT count(*) AS returned FROM woes.messages WHERE v41_leak(body);
SELECT count(*) AS returned FROM woes.operator_messages WHERE v41_leak(body);
-- RETURNING: her own new message comes back, nothing else
WITH i AS (
    INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
    VALUES (:'ca', 'customer', :'cora', 'public from cora, again')
    RETURNING *
) SELECT author_kind, visibility, body, contact_id = :'cora' AS own FROM i;
-- writing where she may not: a note, someone else's conversation, an upsert
-- onto another message, an update or delete of anything
INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body)
VALUES (:'ca', 'customer', :'cora', 'internal', 'note by cora') RETURNING body;
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
VALUES (:'cb', 'customer', :'cora', 'public from cora into dan''s') RETURNING body;
INSERT INTO woes.messages (conversation_id, author_kind, author_id, body, channel, external_id)
VALUES (:'ca', 'customer', :'cora', 'public from cora', 'live_chat', 'dan-1')
ON CONFLICT (workspace_id, channel, external_id) DO UPDATE SET body = 'hijacked' RETURNING body;
UPDATE woes.messages SET body = 'edited' RETURNING body;
DELETE FROM woes.messages RETURNING body;
UPDATE woes.message_traces SET trace = '{}' RETURNING trace;
-- read inside a write: a subquery sees what a SELECT sees
WITH i AS (
    INSERT INTO woes.messages (conversation_id, author_kind, author_id, body)
    SELECT :'ca', 'customer', :'cora', 'public copy: ' || string_agg(body, ' | ' ORDER BY id)
      FROM woes.messages WHERE conversation_id IN (:'ca', :'cb')
    RETURNING body
) SELECT body FROM i;
ROLLBACK;
-- statistics: once analyzed, pg_stats could show the most common bodies;
-- it hides the columns of a table whose row security applies to the reader
RESET ROLE;
ANALYZE woes.messages, woes.message_traces;
SELECT count(*) > 0 AS analyzed FROM pg_stats WHERE schemaname = 'woes' AND tablename = 'messages';
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'cora');
SELECT count(*) AS stats_rows FROM pg_stats WHERE schemaname = 'woes' AND tablename IN ('messages', 'message_traces');
SELECT count(*) AS stats_rows FROM pg_stats_ext WHERE schemaname = 'woes';
ROLLBACK;

--------------------------------------------------------------------------
-- An agent (bot): public messages of every conversation, its own notes,
-- debug and traces; never an operator's note, never another agent's.
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'agent', :'bot');
SELECT c.subject, m.author_kind, m.visibility, m.body
  FROM woes.messages m JOIN woes.conversations c ON c.workspace_id = m.workspace_id AND c.id = m.conversation_id
 ORDER BY c.number, m.id;
SELECT trace FROM woes.message_traces ORDER BY created_at, trace::text;
SELECT author_kind, visibility, body, trace FROM woes.agent_messages ORDER BY id;
SELECT author_kind, visibility, body, trace FROM woes.operator_messages ORDER BY id;
SELECT count(*) AS customer_view_rows FROM woes.customer_messages;
SELECT count(*) AS customer_view_conversations FROM woes.customer_conversations;
COPY (SELECT visibility, body FROM woes.messages ORDER BY id) TO STDOUT;
COPY (SELECT trace FROM woes.message_traces ORDER BY trace::text) TO STDOUT;
\set ON_ERROR_ROLLBACK off
SET LOCAL v41.visible = '^(public from |dan: public |note by bot \(|debug by bot$)|"bot public answer"|"bot debug"';
\set ON_ERROR_ROLLBACK on
SELECT q, a.* FROM unnest(ARRAY[
    $$SELECT 1 FROM woes.messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.message_traces WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.agent_messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.agent_messages WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.operator_messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.operator_messages WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.customer_messages WHERE v41_leak(body)$$]) WITH ORDINALITY AS t(q, n),
       v41_attack(q) a
 ORDER BY n;
-- an agent cannot write a note as someone else, nor pass one off as public
INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body)
VALUES (:'ca', 'operator', :'otto', 'internal', 'note forged by bot') RETURNING body;
INSERT INTO woes.messages (conversation_id, author_kind, author_id, visibility, body)
VALUES (:'ca', 'agent', :'bot2', 'internal', 'note forged by bot as bot2') RETURNING body;
UPDATE woes.messages SET visibility = 'public' WHERE visibility = 'internal' RETURNING body;
ROLLBACK;

--------------------------------------------------------------------------
-- Operators see everything (the control: the data is there to be leaked)
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'ws', 'operator', :'otto');
SELECT count(*) AS messages, count(*) FILTER (WHERE visibility = 'internal') AS notes,
       count(*) FILTER (WHERE visibility = 'debug') AS debug FROM woes.messages;
SELECT count(*) AS traces FROM woes.message_traces;
SELECT count(*) AS rows, count(trace) AS traces FROM woes.operator_messages;
COMMIT;

--------------------------------------------------------------------------
-- Analysts: no message bodies.  An admin acting in the analyst audience
-- has the table privileges, so the policies must hide them; a bound
-- analyst login has no privilege on them at all.
--------------------------------------------------------------------------
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'analyst');
SELECT count(*) AS messages FROM woes.messages;
SELECT count(*) AS traces FROM woes.message_traces;
SELECT count(*) AS thread_refs FROM woes.thread_refs;
\set ON_ERROR_ROLLBACK off
SET LOCAL v41.visible = '^$';
\set ON_ERROR_ROLLBACK on
SELECT q, a.* FROM unnest(ARRAY[
    $$SELECT 1 FROM woes.messages WHERE v41_leak(body)$$,
    $$SELECT 1 FROM woes.message_traces WHERE v41_leak(trace)$$,
    $$SELECT 1 FROM woes.operator_messages WHERE v41_leak(body)$$]) WITH ORDINALITY AS t(q, n),
       v41_attack(q) a
 ORDER BY n;
SELECT count(*) AS rows FROM woes.customer_messages;
SELECT count(*) AS rows FROM woes.agent_messages;
SELECT count(*) AS rows FROM woes.operator_messages;
COPY woes.messages (body) TO STDOUT;
-- conversations (no bodies) are the analyst's material
SELECT count(*) AS conversations FROM woes.conversations;
SELECT woes.bind_role('v41_bi', :'ws', 'analyst');
COMMIT;
RESET ROLE;
\c - v41_bi
SET search_path = public, woes;
SELECT current_setting('woes.audience') AS audience, current_setting('woes.workspace') = :'ws' AS bound;
-- no message (no USAGE on schema woes; on Citus, where it has, no
-- privilege): woes_bi is the analyst's
\set VERBOSITY sqlstate
SELECT count(*) FROM woes.messages;
\set VERBOSITY terse
SELECT count(*) AS conversations, count(*) FILTER (WHERE status = 'open') AS open FROM woes_bi.conversation_metrics;
-- and with USAGE on schema woes granted by mistake, still no body anywhere
\c - :su
GRANT USAGE ON SCHEMA woes TO v41_bi;
\c - v41_bi
SET search_path = public, woes;
SELECT count(*) FROM woes.messages;
SELECT count(*) FROM woes.message_traces;
SELECT count(*) FROM woes.thread_refs;
SELECT count(*) FROM woes.customer_messages;
SELECT count(*) FROM woes.agent_messages;
SELECT count(*) FROM woes.operator_messages;
SELECT count(*) FROM woes.inbox;
SELECT subject FROM woes.conversations;
COPY woes.messages (body) TO STDOUT;
SELECT count(*) FROM woes.messages WHERE v41_leak(body);
\c - :su
REVOKE USAGE ON SCHEMA woes FROM v41_bi;
SET search_path = public, woes;

--------------------------------------------------------------------------
-- woes.can_see: the matrix, over every audience, visibility and "own"
--------------------------------------------------------------------------
SELECT a AS audience, v AS visibility,
       woes.can_see(a, v, false) AS not_own, woes.can_see(a, v, true) AS own,
       woes.can_see(a, v, NULL) AS own_unknown, woes.can_see(a, v) AS default_own
  FROM unnest('{customer,agent,operator,analyst,admin}'::woes.audience[]) a,
       unnest('{public,internal,debug}'::woes.visibility[]) v
 ORDER BY a, v;
-- no audience (no context) or no visibility: never
SELECT woes.can_see(NULL, 'public', true) AS no_audience, woes.can_see('admin', NULL, true) AS no_visibility,
       woes.can_see(NULL, NULL) AS neither;
-- LEAKPROOF (so it can sit in policies without blocking index use),
-- IMMUTABLE, not STRICT (NULL means no), PARALLEL SAFE
SELECT proleakproof, provolatile, proisstrict, proparallel
  FROM pg_proc WHERE oid = 'woes.can_see(woes.audience, woes.visibility, boolean)'::regprocedure;

-- A customer reading her thread uses the conversation index (the policy
-- and view conditions are filters on top, not a reason for a seq scan)
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'customer', :'cora');
-- (tiny tables: without these the planner may rightly prefer any scan.
-- On Citus this read goes to every shard, and EXPLAIN would show the plan
-- of the first, whatever data hashes there: no plan of the shards; a
-- placeholder setting elsewhere)
SET LOCAL enable_seqscan = off;
SET LOCAL enable_bitmapscan = off;
SET LOCAL citus.explain_distributed_queries = off;
SELECT bool_or(p ~ 'Index Scan( Backward)? using messages_conversation_idx on messages') AS conversation_index,
       bool_or(p ~ 'Index Cond: .*conversation_id = ''<uuid>''') AS by_conversation,
       bool_or(p ~ 'Seq Scan') AS seq_scan
  FROM v41_plan(format('SELECT body FROM woes.customer_messages WHERE conversation_id = %L ORDER BY id DESC LIMIT 50', :'ca')) p;
SELECT v41_plan(format('SELECT body FROM woes.messages WHERE conversation_id = %L ORDER BY id', :'ca'));
-- and a leaky function does not get to run first, even on the index path
\set ON_ERROR_ROLLBACK off
SET LOCAL v41.visible = '^public from ';
\set ON_ERROR_ROLLBACK on
SELECT a.* FROM v41_attack(format('SELECT 1 FROM woes.messages WHERE conversation_id IN (%L, %L) AND v41_leak(body)',
                                  :'ca', :'cb')) a;
COMMIT;
RESET ROLE;

-- clean up what is ours (the workspaces stay, like every suite's)
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
SELECT woes.unbind_role('v41_bi') AS unbound;
COMMIT;
RESET ROLE;
DROP ROLE v41_bi;
DROP FUNCTION public.v41_attack(text), public.v41_leak(text), public.v41_leak(jsonb), public.v41_plan(text);

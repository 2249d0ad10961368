-- Workspace isolation and audience visibility, attacked by non-owner roles:
-- reads and writes across workspaces, rows pointing into another workspace,
-- moving rows, no context, the audience matrix, views, leaky functions,
-- statistics, COPY, TRUNCATE, DDL, and error messages that could echo keys.
\set VERBOSITY terse
SELECT current_user AS su \gset
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS carol FROM woes.contacts WHERE name = 'Carol' \gset
SELECT id AS dave FROM woes.contacts WHERE name = 'Dave' \gset
SELECT id AS gina FROM woes.contacts WHERE name = 'Gina' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset
SELECT id AS bot_b FROM woes.agents WHERE name = 'bot-b' \gset

-- error_text(statement): 'ok', or the full text of the error it raised
-- (message, detail and hint, nothing masked), to check what an error reveals
CREATE FUNCTION public.error_text(statement text) RETURNS text
    LANGUAGE plpgsql
AS $$
DECLARE
    msg text;
    detail text;
    hint text;
BEGIN
    EXECUTE statement;
    RETURN 'ok';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' / ', msg, detail, hint);
END;
$$;

-- Fixtures, written by app (woes_service) as an operator: conversations
-- for carol and dave in acme and for gina in globex, and messages of every
-- visibility.
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
INSERT INTO woes.conversations (contact_id, channel, subject)
VALUES (:'carol', 'email', 'carol order'), (:'dave', 'email', 'dave refund');
INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, visibility, body)
SELECT c.id, c.contact_id, m.kind, m.author, m.vis::woes.visibility, m.body
  FROM woes.conversations c
  JOIN (VALUES ('carol order', 'customer', :'carol'::uuid, 'public', 'carol: where is my order'),
               ('carol order', 'operator', :'ann'::uuid, 'public', 'ann: on its way'),
               ('carol order', 'operator', :'ann'::uuid, 'internal', 'note: carol is a VIP'),
               ('carol order', 'agent', :'bot_a'::uuid, 'debug', 'bot-a trace'),
               ('carol order', 'agent', :'bot_a'::uuid, 'internal', 'bot-a suggestion'),
               ('carol order', 'agent', :'bot_b'::uuid, 'internal', 'bot-b suggestion'),
               ('dave refund', 'customer', :'dave'::uuid, 'public', 'dave: refund please'),
               ('dave refund', 'operator', :'ann'::uuid, 'internal', 'note: dave was refunded twice'))
       AS m (subject, kind, author, vis, body) ON m.subject = c.subject;
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'gina', 'email', 'gina secret');
INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, body)
SELECT c.id, c.contact_id, 'customer', c.contact_id, 'gina: the globex launch code'
  FROM woes.conversations c WHERE c.subject = 'gina secret';
COMMIT;
RESET ROLE;
SELECT id AS gina_conv FROM woes.conversations WHERE subject = 'gina secret' \gset
SELECT id AS gina_msg FROM woes.messages WHERE body LIKE 'gina:%' \gset
SELECT id AS carol_conv FROM woes.conversations WHERE subject = 'carol order' \gset
SELECT id AS dave_conv FROM woes.conversations WHERE subject = 'dave refund' \gset

--------------------------------------------------------------------------
-- No context: nothing visible, every write refused (WO001), on every
-- table of the schema (catalog-driven, so a new table is covered)
--------------------------------------------------------------------------
SET ROLE app;
SELECT count(*) AS conversations FROM woes.conversations;
SELECT count(*) AS messages FROM woes.messages;
SELECT count(*) AS workspaces FROM woes.workspaces;
WITH t AS (
    SELECT c.relname,
           (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM woes.%I', c.relname),
                                                false, true, '')))[1]::text::bigint AS n
      FROM pg_class c
     WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r' AND c.relname <> 'channels'
       AND has_table_privilege(c.oid, 'SELECT'))
SELECT count(*) >= 10 AS enough_tables_read, coalesce(string_agg(relname, ', ') FILTER (WHERE n > 0), 'none') AS visible_without_context
  FROM t;
INSERT INTO woes.conversations (contact_id, channel) VALUES (:'carol', 'email');
UPDATE woes.conversations SET subject = 'x';
DELETE FROM woes.messages;
-- every table app may write refuses every kind of write with WO001
WITH w AS (
    SELECT c.relname, p.priv,
           try_sql(CASE p.priv
                       WHEN 'INSERT' THEN format('INSERT INTO woes.%I DEFAULT VALUES', c.relname)
                       WHEN 'UPDATE' THEN format('UPDATE woes.%I SET workspace_id = workspace_id', c.relname)
                       ELSE format('DELETE FROM woes.%I', c.relname) END) AS result
      FROM pg_class c CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE')) AS p (priv)
     WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r' AND c.relname <> 'channels'
       AND has_table_privilege(c.oid, p.priv))
SELECT count(*) >= 27 AS enough_writes_tried,
       coalesce(string_agg(relname || ' ' || priv || ': ' || result, '; ') FILTER (WHERE result NOT LIKE 'WO001:%'),
                'none') AS not_refused
  FROM w;
RESET ROLE;

--------------------------------------------------------------------------
-- Reads across workspaces: app as an acme operator sees acme only
--------------------------------------------------------------------------
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT subject FROM woes.conversations ORDER BY 1;
SELECT slug FROM woes.workspaces ORDER BY 1;
SELECT name FROM woes.contacts ORDER BY 1;
SELECT name FROM woes.operators ORDER BY 1;
-- looking globex rows up by their ids finds nothing
SELECT count(*) AS by_id FROM woes.conversations WHERE id = :'gina_conv';
SELECT count(*) AS by_id FROM woes.messages WHERE id = :'gina_msg';
SELECT count(*) AS by_ws FROM woes.conversations WHERE workspace_id = :'globex';
SELECT count(*) AS by_body FROM woes.messages WHERE body LIKE '%launch code%';
SELECT count(*) AS by_contact FROM woes.contacts WHERE id = :'gina';
-- ... and FOR UPDATE neither finds nor locks them, by id alone (in a
-- savepoint: Citus refuses a FOR UPDATE across shards) or with the workspace
SAVEPOINT fu;
SELECT count(*) AS locked FROM (SELECT FROM woes.conversations WHERE id = :'gina_conv' FOR UPDATE) l;
ROLLBACK TO SAVEPOINT fu;
SELECT count(*) AS locked
  FROM (SELECT FROM woes.conversations WHERE workspace_id = :'globex' AND id = :'gina_conv' FOR UPDATE) l;

--------------------------------------------------------------------------
-- Writes across workspaces
--------------------------------------------------------------------------
-- UPDATE and DELETE of globex rows touch nothing
UPDATE woes.conversations SET subject = 'pwned' WHERE id = :'gina_conv';
UPDATE woes.messages SET body = 'pwned' WHERE id = :'gina_msg';
UPDATE woes.contacts SET name = 'pwned' WHERE id = :'gina';
-- INSERT with the other workspace_id: WO002
SELECT try_sql(format('INSERT INTO woes.contacts (workspace_id, name) VALUES (%L, %L)', :'globex', 'mole'));
SELECT try_sql(format('INSERT INTO woes.conversations (workspace_id, contact_id, channel) VALUES (%L, %L, %L)',
                      :'globex', :'gina', 'email'));
SELECT try_sql(format('INSERT INTO woes.messages (workspace_id, conversation_id, contact_id, author_kind, body)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'globex', :'gina_conv', :'gina', 'operator', 'hi from acme'));
SELECT try_sql(format('INSERT INTO woes.operators (workspace_id, name, email) VALUES (%L, %L, %L)',
                      :'globex', 'mole', 'mole@acme.test'));
-- the failed conversation insert did not touch globex's counter
SELECT try_sql(format('INSERT INTO woes.conversations (workspace_id, contact_id, channel) VALUES (%L, %L, %L)',
                      :'globex', :'gina', 'email'));
-- moving a row to the other workspace: refused (workspace_id is part of the
-- frozen primary key, and the isolation policy's WITH CHECK is behind it)
SELECT try_sql(format('UPDATE woes.conversations SET workspace_id = %L WHERE subject = %L', :'globex', 'carol order'));
SELECT try_sql(format('UPDATE woes.contacts SET workspace_id = %L WHERE id = %L', :'globex', :'carol'));
SELECT try_sql(format('UPDATE woes.messages SET workspace_id = %L WHERE body LIKE %L', :'globex', 'ann:%'));
-- a message in acme pointing at globex's conversation: the foreign key
-- includes workspace_id, so it fails, and the error names no key values
-- (shown with the default verbosity: there is no DETAIL line; no CONTEXT
-- either, which on Citus would name the worker)
SELECT e <> 'ok' AS refused, e !~ '[0-9a-f]{8}-[0-9a-f]{4}-' AS no_ids_in_error
  FROM public.error_text(format('INSERT INTO woes.messages (conversation_id, contact_id, author_kind, body)'
                                ' VALUES (%L, %L, %L, %L)', :'gina_conv', :'gina', 'operator', 'hi from acme')) e;
\set VERBOSITY default
\set SHOW_CONTEXT never
SAVEPOINT s;
-- (acme's own contact into globex's conversation: only that key fails,
-- whichever key a server checks first)
INSERT INTO woes.participants (conversation_id, kind, contact_id)
VALUES (:'gina_conv', 'customer', :'carol');
ROLLBACK TO SAVEPOINT s;
INSERT INTO woes.identities (contact_id, channel, external_id) VALUES (:'gina', 'email', 'gina2@example.com');
ROLLBACK TO SAVEPOINT s;
-- a conversation of acme cannot take globex's operator as assignee
SELECT try_sql(format('UPDATE woes.conversations SET assignee_id = %L WHERE subject = %L', :'gus', 'carol order')) AS gus_assigned;
ROLLBACK TO SAVEPOINT s;
-- unique violations name no key values either
INSERT INTO woes.identities (contact_id, channel, external_id) VALUES (:'dave', 'email', 'carol@example.com');
ROLLBACK TO SAVEPOINT s;
INSERT INTO woes.operators (name, email) VALUES ('Ann again', 'ANN@acme.test');
ROLLBACK TO SAVEPOINT s;
\set VERBOSITY terse
\set SHOW_CONTEXT errors
-- the same identity and operator email as in globex are fine in acme (no
-- unique key spans workspaces, so a duplicate error is no oracle)
SAVEPOINT s;
INSERT INTO woes.identities (contact_id, channel, external_id) VALUES (:'dave', 'email', 'gina@example.com');
INSERT INTO woes.operators (name, email) VALUES ('Gus twin', 'gus@globex.test');
ROLLBACK TO SAVEPOINT s;
COMMIT;
RESET ROLE;
-- globex is untouched
SELECT subject, number FROM woes.conversations WHERE workspace_id = :'globex' ORDER BY 2;
SELECT last_conversation_number FROM woes.workspace_counters WHERE workspace_id = :'globex';
SELECT body FROM woes.messages WHERE workspace_id = :'globex' ORDER BY 1;
SELECT name FROM woes.contacts WHERE workspace_id = :'globex' ORDER BY 1;

-- an admin of acme (boss) cannot delete or rename globex's rows either
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
DELETE FROM woes.messages WHERE id = :'gina_msg';
DELETE FROM woes.conversations WHERE id = :'gina_conv';
DELETE FROM woes.contacts WHERE id = :'gina';
ROLLBACK;
-- (in a transaction of their own: Citus refuses a write to a reference
-- table after parallel writes to the tables that refer to it)
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
UPDATE woes.workspaces SET name = 'pwned' WHERE slug = 'globex';
UPDATE woes.workspaces SET name = 'Acme Inc' WHERE slug = 'acme';
-- the counter is not writable by anyone but the owner
UPDATE woes.workspace_counters SET last_conversation_number = 0;
ROLLBACK;
RESET ROLE;

--------------------------------------------------------------------------
-- The audience matrix on the tables themselves
--------------------------------------------------------------------------
SET ROLE app;
-- customer carol: her contact, her conversations, public messages of them
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT name FROM woes.contacts ORDER BY 1;
SELECT external_id FROM woes.identities ORDER BY 1;
SELECT subject FROM woes.conversations ORDER BY 1;
SELECT body FROM woes.messages ORDER BY 1;
SELECT count(*) AS operators FROM woes.operators;
SELECT count(*) AS agents FROM woes.agents;
SELECT count(*) AS participants FROM woes.participants;
SELECT count(*) AS dave_by_id FROM woes.conversations WHERE id = :'dave_conv';
-- she may write public customer messages in her own conversations only
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'carol_conv', :'carol', 'customer', :'carol', 'carol: thanks'));
-- (refused by RLS or earlier by a trigger that cannot see the conversation)
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'dave_conv', :'dave', 'customer', :'carol',
                      'carol: in dave''s thread')) <> 'ok' AS other_thread_refused;
-- (the refusals without a header: on Citus, the error names the shard,
-- which would widen it)
\t on
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, visibility, body)'
                      ' VALUES (%L, %L, %L, %L, %L, %L)', :'carol_conv', :'carol', 'customer', :'carol',
                      'internal', 'carol: a fake note'));
SELECT try_sql(format('INSERT INTO woes.messages (conversation_id, contact_id, author_kind, author_id, body)'
                      ' VALUES (%L, %L, %L, %L, %L)', :'carol_conv', :'carol', 'operator', :'ann',
                      'ann (forged): refund approved'));
\t off
SELECT try_sql(format('INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (%L, %L, %L)',
                      :'dave', 'email', 'as dave')) <> 'ok' AS other_contact_refused;
-- and change nothing
UPDATE woes.conversations SET subject = 'changed';
UPDATE woes.contacts SET name = 'changed';
SELECT body FROM woes.messages ORDER BY 1;
ROLLBACK;
-- agent bot-a: public messages, and its own of any visibility
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_a');
SELECT body FROM woes.messages ORDER BY 1;
SELECT subject FROM woes.conversations ORDER BY 1;
SELECT count(*) AS contacts FROM woes.contacts;
ROLLBACK;
-- agent bot-b sees its own suggestion, not bot-a's
BEGIN;
SELECT woes.set_context(:'acme', 'agent', :'bot_b');
SELECT body FROM woes.messages WHERE visibility::text <> 'public' ORDER BY 1;
ROLLBACK;
-- operators see everything of acme
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
SELECT body, visibility FROM woes.messages ORDER BY 1;
ROLLBACK;
-- analyst through app (which holds the table grants): no message at all
BEGIN;
SELECT woes.set_context(:'acme', 'analyst');
SELECT count(*) AS messages FROM woes.messages;
SELECT count(*) AS contacts FROM woes.contacts;
SELECT count(*) AS conversations FROM woes.conversations WHERE subject IN ('carol order', 'dave refund');
ROLLBACK;
RESET ROLE;
-- admins see everything of acme
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT count(*) AS messages, count(*) FILTER (WHERE visibility::text = 'internal') AS notes FROM woes.messages;
ROLLBACK;
RESET ROLE;
-- bi, an analyst role bound to acme: no message (no USAGE on schema woes,
-- and on Citus, where it has, no privilege), the metrics and labels of
-- acme through woes_bi
SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.bind_role('bi', :'acme', 'analyst');
COMMIT;
RESET ROLE;
\c - bi
\set VERBOSITY sqlstate
SELECT body FROM woes.messages;
\set VERBOSITY terse
SELECT count(*) AS conversations, count(DISTINCT status) AS statuses,
       count(*) FILTER (WHERE workspace_id <> :'acme') AS other_workspaces
  FROM woes_bi.conversation_metrics WHERE number > 0;
SELECT name FROM woes_bi.operators ORDER BY 1;
-- even with USAGE on schema woes granted by mistake: no message bodies (no
-- privilege at all), conversations without subjects, no contacts
\c - :su
GRANT USAGE ON SCHEMA woes TO bi;
\c - bi
SELECT body FROM woes.messages;
SELECT count(*) FROM woes.messages;
SELECT subject FROM woes.conversations;
SELECT * FROM woes.conversations;
SELECT count(*) AS conversations FROM woes.conversations WHERE number > 0;
SELECT count(*) FROM woes.contacts;
\c - :su
REVOKE USAGE ON SCHEMA woes FROM bi;
\c - boss
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.unbind_role('bi');
COMMIT;
\c - :su

--------------------------------------------------------------------------
-- Views
--------------------------------------------------------------------------
CREATE SCHEMA app_space AUTHORIZATION app;
GRANT USAGE ON SCHEMA app_space TO rando;
SET ROLE app;
-- nobody but the owner creates anything in schema woes
CREATE VIEW woes.all_conversations AS SELECT subject FROM woes.conversations;
-- a plain view (runs as its owner) made by app still applies RLS with the
-- context of whoever queries it: app is no RLS bypasser, and the policies
-- read the session's context, not the view owner's
CREATE VIEW app_space.all_conversations AS SELECT subject FROM woes.conversations;
CREATE VIEW app_space.invoker_conversations WITH (security_invoker) AS
    SELECT subject FROM woes.conversations;
GRANT SELECT ON app_space.all_conversations, app_space.invoker_conversations TO rando;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT subject FROM app_space.all_conversations ORDER BY 1;
SELECT subject FROM app_space.invoker_conversations ORDER BY 1;
COMMIT;
RESET ROLE;
SET ROLE rando;
-- no context: nothing through the owner's view; no privilege through the
-- invoker's view
SELECT count(*) AS through_owner_view FROM app_space.all_conversations;
SELECT count(*) AS through_invoker_view FROM app_space.invoker_conversations;
RESET ROLE;
-- The caveat: a view owned by a superuser (or any RLS-bypassing role) and
-- not security_invoker reads as its owner, who bypasses RLS, so it shows
-- every workspace to whoever may select from it.  This is why every woes
-- view is security_invoker (doctor() checks the views of schema woes).
CREATE VIEW public.superuser_conversations AS SELECT workspace_id, subject FROM woes.conversations;
GRANT SELECT ON public.superuser_conversations TO app;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(DISTINCT workspace_id) AS workspaces_seen FROM public.superuser_conversations;
COMMIT;
RESET ROLE;
ALTER VIEW public.superuser_conversations SET (security_invoker = on);
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(DISTINCT workspace_id) AS workspaces_seen, count(*) AS rows_seen FROM public.superuser_conversations;
COMMIT;
RESET ROLE;
DROP VIEW public.superuser_conversations;

--------------------------------------------------------------------------
-- A leaky function: cheap, not LEAKPROOF, and talkative.  The policies are
-- evaluated first, so it never sees a row the context may not see.
--------------------------------------------------------------------------
CREATE FUNCTION public.leak(text) RETURNS boolean
    LANGUAGE plpgsql COST 0.0000001
AS $$
BEGIN
    RAISE NOTICE 'leak: %', $1;
    RETURN true;
END;
$$;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT subject FROM woes.conversations WHERE public.leak(subject) ORDER BY 1;
SELECT count(*) FROM woes.messages WHERE public.leak(body);
SELECT count(*) FROM woes.contacts WHERE public.leak(name);
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
SELECT count(*) FROM woes.conversations WHERE public.leak(subject) AND subject NOT LIKE 'ctx%';
COMMIT;
-- a leaky app-owned function in app's own view is no different
CREATE FUNCTION app_space.leak2(text) RETURNS boolean
    LANGUAGE plpgsql COST 0.0000001
AS $$
BEGIN
    RAISE NOTICE 'leak2: %', $1;
    RETURN true;
END;
$$;
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT count(*) FROM app_space.all_conversations WHERE app_space.leak2(subject);
COMMIT;
RESET ROLE;

--------------------------------------------------------------------------
-- Side doors: planner statistics, COPY, TRUNCATE, DDL
--------------------------------------------------------------------------
ANALYZE woes.conversations, woes.messages, woes.contacts;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
-- pg_stats hides the statistics (most common values ...) of RLS tables
SELECT count(*) AS stats_rows FROM pg_stats WHERE schemaname = 'woes';
-- COPY TO applies the policies
COPY woes.conversations (subject) TO STDOUT;
COPY (SELECT body FROM woes.messages WHERE visibility::text = 'public' ORDER BY body) TO STDOUT;
COMMIT;
-- COPY FROM is refused under RLS
-- (\copy sends COPY ... FROM STDIN, refused before any row is read; no
-- in-line data, which psql releases before 15.19 (and that round of the
-- other majors) ran as SQL after a refused COPY)
\copy woes.contacts (name) from '/dev/null'
-- with a row, in a context (on Citus, where COPY of a distributed table
-- is taken over before the check above, the workers refuse the row)
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
-- (the program ignores a closed pipe: one server refuses before reading)
\copy woes.contacts (name) from program 'trap "" PIPE; echo mole 2>/dev/null; exit 0'
ROLLBACK;
-- TRUNCATE ignores RLS, so nobody but the owner may do it
TRUNCATE woes.messages;
TRUNCATE woes.conversations CASCADE;
-- no DDL in schema woes, and no changing its tables or policies
CREATE TABLE woes.evil (id int);
CREATE FUNCTION woes.current_workspace(int) RETURNS uuid LANGUAGE sql AS 'SELECT NULL::uuid';
CREATE POLICY open_door ON woes.conversations AS PERMISSIVE FOR SELECT USING (true);
ALTER TABLE woes.conversations DISABLE ROW LEVEL SECURITY;
ALTER TABLE woes.conversations NO FORCE ROW LEVEL SECURITY;
ALTER TABLE woes.messages DISABLE TRIGGER USER;
DROP POLICY workspace_isolation ON woes.conversations;
GRANT SELECT ON woes.messages TO rando;
RESET ROLE;
SET ROLE boss;
TRUNCATE woes.messages;
CREATE TABLE woes.evil (id int);
ALTER TABLE woes.messages NO FORCE ROW LEVEL SECURITY;
RESET ROLE;
-- the schema and tables are still as they were
SELECT "check", ok FROM woes.doctor() WHERE NOT ok ORDER BY 1;

DROP SCHEMA app_space CASCADE;
DROP FUNCTION public.leak(text);
DROP FUNCTION public.error_text(text);

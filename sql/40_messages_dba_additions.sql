--
-- What a DBA adds to woes's tables keeps working through the C API, whose
-- hot paths write some rows without an SQL statement: a trigger's own
-- SET search_path, the woes.reason setting during a call, a policy, a
-- statement trigger or a revoked grant on messages, and a channel whose
-- thread-key function finds no key.
--
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET search_path = public;

SELECT woes.create_workspace('dba43', 'DBA additions') AS ws \gset
GRANT CREATE ON SCHEMA public TO app;

-- an audit trigger written the careful way: SECURITY DEFINER, with its own
-- search_path, naming its table unqualified
CREATE SCHEMA audit;
CREATE TABLE audit.log (what text, conversation uuid, reason text);
CREATE FUNCTION audit.conversation_changed() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = audit, pg_temp
AS $$
BEGIN
    INSERT INTO log VALUES ('conversation ' || TG_OP, NEW.id, current_setting('woes.reason'));
    RETURN NEW;
END $$;
CREATE TRIGGER zz_audit AFTER UPDATE ON woes.conversations
    FOR EACH ROW EXECUTE FUNCTION audit.conversation_changed();

SET ROLE app;
-- a caller's temporary table of the same name is not the audit log
CREATE TEMP TABLE log (what text, conversation uuid, reason text);
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-a', 'visitor-a', 'hello', 'a-1') AS m1 \gset
SELECT conversation_id AS c1 FROM woes.messages WHERE id = :'m1' \gset
SELECT woes.set_pending(:'c1', 'asked for the order number');
SELECT woes.receive_message('live_chat', 'chat-a', 'visitor-a', 'it is 42', 'a-2') IS NOT NULL AS replied;
SET LOCAL woes.reason = 'set by the session';
SELECT woes.resolve(:'c1');
COMMIT;
SELECT count(*) AS rows_in_the_callers_temp_table FROM pg_temp.log;
RESET ROLE;
-- the audit trigger saw the reason of each call (none for resolve: the
-- call's reason, not the session's)
SELECT what, conversation = :'c1' AS that_conversation, reason FROM audit.log ORDER BY ctid;

-- a thread-key function that finds no key: the message is keyed by its own id
CREATE FUNCTION public.sms_thread_keys(ref text) RETURNS text[]
    LANGUAGE sql IMMUTABLE RETURN CASE WHEN ref ~ '^\+[0-9]+$' THEN ARRAY[ref] END;
INSERT INTO woes.channels (name, description, thread_keys)
VALUES ('sms', 'Text messages', 'public.sms_thread_keys(text)');
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('sms', 'not a number', '+15550001', 'hi', 'sms-1') AS s1 \gset
SELECT woes.receive_message('sms', '+15550001', '+15550001', 'hi again', 'sms-2') AS s2 \gset
SELECT m.external_id, c.thread_ref, (SELECT array_agg(r.ref ORDER BY r.ref) FROM woes.thread_refs r
                                       WHERE r.conversation_id = c.id) AS keys
  FROM woes.messages m JOIN woes.conversations c ON c.id = m.conversation_id
 WHERE m.channel = 'sms' ORDER BY m.external_id;
COMMIT;
RESET ROLE;

-- which way intake writes the message: straight in while every policy on
-- messages that could judge its INSERT is woes's own (told by its comment,
-- whatever its name), through the INSERT statement once a DBA adds one or
-- makes one under woes's name.  The statement fires woes's statement
-- trigger on messages: one require_context() call, where the direct write
-- makes none (the conversation's update is written directly too: no
-- statement; see test/sh/direct_update.sh).
CREATE FUNCTION public.intake_statements(ws uuid, ext text) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    before bigint := coalesce(pg_stat_get_xact_function_calls('woes.require_context()'::regprocedure), 0);
BEGIN
    PERFORM woes.receive_message('live_chat', 'chat-p', 'visitor-p', 'hello', ext);
    RETURN pg_stat_get_xact_function_calls('woes.require_context()'::regprocedure) - before;
END $$;
SET track_functions = 'all';
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-p', 'visitor-p', 'first', 'p-0') IS NOT NULL AS received;
SELECT public.intake_statements(:'ws', 'p-1') AS woes_policies;
COMMIT;
RESET ROLE;
ALTER POLICY messages_staff_insert ON woes.messages RENAME TO staff_write_messages;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-2') AS woes_policy_renamed;
COMMIT;
RESET ROLE;
ALTER POLICY staff_write_messages ON woes.messages RENAME TO messages_staff_insert;
-- woes's own policy rewritten by ALTER POLICY (for every role, its comment
-- kept): the statement, which holds the rewritten check; put back as it
-- was, straight in again
SELECT pg_get_expr(polwithcheck, polrelid) AS staff_insert_check,
       obj_description(oid, 'pg_policy') AS staff_insert_comment
  FROM pg_policy WHERE polrelid = 'woes.messages'::regclass AND polname = 'messages_staff_insert' \gset
ALTER POLICY messages_staff_insert ON woes.messages
    WITH CHECK (:staff_insert_check AND body NOT LIKE '%forbidden%');
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-5') AS woes_policy_rewritten;
SELECT woes.receive_message('live_chat', 'chat-p', 'visitor-p', 'a forbidden word', 'p-6');
COMMIT;
RESET ROLE;
ALTER POLICY messages_staff_insert ON woes.messages WITH CHECK (:staff_insert_check);
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-7') AS woes_policy_put_back;
COMMIT;
RESET ROLE;
CREATE POLICY dba_check ON woes.messages AS RESTRICTIVE FOR INSERT WITH CHECK (true);
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-3') AS dba_policy;
COMMIT;
RESET ROLE;
DROP POLICY dba_check ON woes.messages;
DROP POLICY messages_staff_insert ON woes.messages;
CREATE POLICY messages_staff_insert ON woes.messages FOR INSERT WITH CHECK (:staff_insert_check);
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-4') AS dba_policy_under_woes_name;
COMMIT;
RESET ROLE;
-- the same policy made again with woes's comment, fingerprint and all:
-- straight in (a comment changed later does not reach a binding already
-- made, so the policy is made again with it, as a restore would)
DROP POLICY messages_staff_insert ON woes.messages;
CREATE POLICY messages_staff_insert ON woes.messages FOR INSERT WITH CHECK (:staff_insert_check);
COMMENT ON POLICY messages_staff_insert ON woes.messages IS :'staff_insert_comment';
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT public.intake_statements(:'ws', 'p-8') AS woes_policy_made_again;
COMMIT;
RESET ROLE;
RESET track_functions;
DROP FUNCTION public.intake_statements(uuid, text);

-- a policy a DBA adds on messages holds for intake too
CREATE POLICY no_forbidden_words ON woes.messages AS RESTRICTIVE FOR INSERT
    WITH CHECK (body NOT LIKE '%forbidden%');
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'a forbidden word', 'b-1');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'fine words', 'b-2') IS NOT NULL AS allowed;
COMMIT;
RESET ROLE;
DROP POLICY no_forbidden_words ON woes.messages;

-- a statement trigger a DBA adds on messages fires for intake too
CREATE FUNCTION public.messages_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'messages: % % statement', TG_WHEN, TG_OP;
    RETURN NULL;
END $$;
CREATE TRIGGER messages_inserted AFTER INSERT ON woes.messages
    FOR EACH STATEMENT EXECUTE FUNCTION public.messages_inserted();
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'more words', 'b-3') IS NOT NULL AS received;
COMMIT;
RESET ROLE;
DROP TRIGGER messages_inserted ON woes.messages;
DROP FUNCTION public.messages_inserted();

-- a grant a DBA takes back holds for intake too
REVOKE INSERT ON woes.messages FROM woes_service;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'no grant', 'b-4');
COMMIT;
RESET ROLE;
GRANT INSERT ON woes.messages TO woes_service;

-- a rule, a column default and a read policy a DBA adds on messages hold for
-- intake too (the row an INSERT ... RETURNING writes)
CREATE TABLE public.rule_log (body text);
GRANT INSERT ON public.rule_log TO woes_service;
CREATE RULE log_messages AS ON INSERT TO woes.messages DO ALSO INSERT INTO public.rule_log VALUES (NEW.body);
ALTER TABLE woes.messages ALTER COLUMN grounding SET DEFAULT '["set by the DBA"]';
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'ruled', 'b-5') AS b5 \gset
SELECT grounding FROM woes.messages WHERE id = :'b5';
COMMIT;
RESET ROLE;
SELECT body FROM public.rule_log;
DROP RULE log_messages ON woes.messages;
DROP TABLE public.rule_log;
ALTER TABLE woes.messages ALTER COLUMN grounding DROP DEFAULT;
CREATE POLICY hide_new_words ON woes.messages AS RESTRICTIVE FOR SELECT USING (body <> 'hidden');
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-b', 'visitor-b', 'hidden', 'b-6');
COMMIT;
RESET ROLE;
DROP POLICY hide_new_words ON woes.messages;

-- intake reads the unique index on its lookup's columns, whatever its name:
-- renamed indexes keep working (a redelivery and a known thread are found),
-- and an index that holds only some rows is never read in the constraint's
-- place
ALTER INDEX woes.channels_pkey RENAME TO channels_by_name;
ALTER INDEX woes.messages_workspace_id_channel_external_id_key RENAME TO messages_by_delivery;
ALTER INDEX woes.identities_workspace_id_channel_external_id_key RENAME TO identities_by_sender;
ALTER INDEX woes.participants_workspace_id_conversation_id_kind_contact_id_o_key RENAME TO participants_by_who;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-r', 'visitor-r', 'renamed', 'r-1') AS r1 \gset
SELECT woes.receive_message('live_chat', 'chat-r', 'visitor-r', 'redelivered', 'r-1') = :'r1' AS redelivery_found;
SELECT woes.receive_message('live_chat', 'chat-r', 'visitor-r', 'same thread', 'r-2') IS NOT NULL AS received;
SELECT count(DISTINCT m.conversation_id) AS conversations, count(DISTINCT m.id) AS messages,
       count(DISTINCT p.id) AS participants
  FROM woes.messages m JOIN woes.participants p ON p.conversation_id = m.conversation_id
 WHERE m.channel = 'live_chat' AND m.external_id LIKE 'r-%';
COMMIT;
RESET ROLE;
ALTER INDEX woes.channels_by_name RENAME TO channels_pkey;
ALTER INDEX woes.messages_by_delivery RENAME TO messages_workspace_id_channel_external_id_key;
ALTER INDEX woes.identities_by_sender RENAME TO identities_workspace_id_channel_external_id_key;
ALTER INDEX woes.participants_by_who RENAME TO participants_workspace_id_conversation_id_kind_contact_id_o_key;
BEGIN;
ALTER TABLE woes.messages DROP CONSTRAINT messages_workspace_id_channel_external_id_key;
CREATE UNIQUE INDEX messages_some_deliveries ON woes.messages (workspace_id, channel, external_id)
 WHERE external_id LIKE 'x-%';
SET LOCAL ROLE app;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-r', 'visitor-r', 'partial', 'r-1');
ROLLBACK;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.receive_message('live_chat', 'chat-r', 'visitor-r', 'constraint back', 'r-1') = :'r1' AS redelivery_found;
COMMIT;
RESET ROLE;

-- a column the history writer does not know: every call fails, none writes
-- a wrong row, and dropping the column again heals it
ALTER TABLE woes.status_events ADD COLUMN source text DEFAULT 'app';
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.reopen(:'c1');
SELECT woes.reopen(:'c1');
COMMIT;
RESET ROLE;
ALTER TABLE woes.status_events DROP COLUMN source;
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.reopen(:'c1');
SELECT count(*) FILTER (WHERE to_status::text = 'open') AS reopen_events FROM woes.status_events
 WHERE conversation_id = :'c1' AND from_status::text = 'resolved';
COMMIT;
RESET ROLE;

SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT external_id, body FROM woes.messages WHERE channel = 'live_chat' AND external_id LIKE 'b-%' ORDER BY 1;
COMMIT;
RESET ROLE;

-- a row trigger that skips history rows: the change fails, no status
-- changes without its history
CREATE FUNCTION public.skip_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER skip_history BEFORE INSERT ON woes.status_events
    FOR EACH ROW EXECUTE FUNCTION public.skip_row();
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.set_pending(:'c1');
\set VERBOSITY sqlstate
SELECT woes.set_pending(:'c1');
\set VERBOSITY terse
SELECT status FROM woes.conversations WHERE id = :'c1';
COMMIT;
RESET ROLE;
DROP TRIGGER skip_history ON woes.status_events;
DROP FUNCTION public.skip_row();

DROP TRIGGER zz_audit ON woes.conversations;
DROP SCHEMA audit CASCADE;
DELETE FROM woes.channels WHERE name = 'sms' AND NOT EXISTS (SELECT FROM woes.messages WHERE channel = 'sms');
REVOKE CREATE ON SCHEMA public FROM app;

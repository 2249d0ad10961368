
--------------------------------------------------------------------------
-- Messages (src/messages.c, src/intake.c): participants, messages, agent
-- traces and thread keys; intake from channels, replies and notes,
-- redaction and erasure, and the per-audience views.  What each audience
-- may read is decided by the policies (woes.can_see), so the views add
-- shape, not security.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.participants (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    id          uuid NOT NULL,
    conversation_id uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('customer', 'operator', 'agent', 'channel')),
    contact_id  uuid,
    operator_id uuid,
    agent_id    uuid,
    -- a channel participant known only by its channel id (a CC address, a
    -- Discord user who is not the contact)
    external_ref text CHECK (length(external_ref) <= 512),
    display_name text CHECK (length(display_name) <= 200),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    left_at     timestamptz CHECK (left_at >= joined_at),
    PRIMARY KEY (workspace_id, id),
    CHECK (CASE kind
               WHEN 'customer' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND contact_id IS NOT NULL
               WHEN 'operator' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND operator_id IS NOT NULL
               WHEN 'agent' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND agent_id IS NOT NULL
               ELSE num_nonnulls(contact_id, operator_id, agent_id) = 0 AND external_ref IS NOT NULL
           END),
    UNIQUE NULLS NOT DISTINCT (workspace_id, conversation_id, kind, contact_id, operator_id, agent_id, external_ref),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id),
    FOREIGN KEY (workspace_id, agent_id)
        REFERENCES @extschema@.agents (workspace_id, id)
);
COMMENT ON TABLE @extschema@.participants IS
    'Who takes part in a conversation (customer, operator, agent, channel participant), with join and leave times';
-- frozen: the key
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.participants
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id');

CREATE TABLE @extschema@.messages (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    id          uuid NOT NULL,
    conversation_id uuid NOT NULL,
    -- the conversation's contact, kept in step by the foreign key (ON UPDATE
    -- CASCADE); it is what the customer policy tests
    contact_id  uuid NOT NULL,
    author_kind text NOT NULL CHECK (author_kind IN ('customer', 'operator', 'agent', 'system')),
    author_id   uuid,
    visibility  @extschema@.visibility NOT NULL DEFAULT 'public',
    body        text,
    attachments jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attachments) = 'array'),
    grounding   jsonb CHECK (jsonb_typeof(grounding) = 'array'),
    channel     text REFERENCES @extschema@.channels (name),
    external_id text CHECK (length(external_id) <= 512),
    created_at  timestamptz NOT NULL DEFAULT now(),
    edited_at   timestamptz,
    redacted_at timestamptz,
    redacted_by uuid,
    redaction_reason text CHECK (length(redaction_reason) <= 1000),
    PRIMARY KEY (workspace_id, id),
    -- intake idempotency: one message per (channel, external message id)
    UNIQUE (workspace_id, channel, external_id),
    -- contact_id is the customer who reads the message: the message
    -- trigger fills it from the conversation (and refuses another), and it
    -- never changes -- a message merged into another customer's
    -- conversation stays its first customer's (47_merge.sql).  Hence a key
    -- on the conversation alone, not on (conversation, contact).
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id)
        ON DELETE CASCADE
);
-- a conversation's thread, oldest first (v7 ids are time ordered)
CREATE INDEX messages_conversation_idx ON @extschema@.messages
    (workspace_id, conversation_id, id);
COMMENT ON TABLE @extschema@.messages IS
    'Everything written in a conversation; visibility decides who may read it (see the policies)';
-- frozen: the key, the authorship, who reads it (contact_id) and
-- created_at; its conversation changes only with a merge (47_merge.sql)
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.messages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'author_kind', 'author_id', 'contact_id', 'created_at');

CREATE FUNCTION @extschema@.message_intake() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_message_intake_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.message_intake() IS
    'Internal trigger: ties a new message to its conversation and makes the automatic moves of a customer message';

CREATE TRIGGER message_intake BEFORE INSERT ON @extschema@.messages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.message_intake();

-- Agent diagnostics, split from messages so that no query in the customer
-- audience can ever read them: this table has no customer policy at all,
-- whereas a column of messages would be readable wherever its row is.
CREATE TABLE @extschema@.message_traces (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    message_id  uuid NOT NULL,
    -- the message's author, for the agent's "own traces only" rule
    author_id   uuid,
    trace       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, message_id)
        REFERENCES @extschema@.messages (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.message_traces IS
    'Diagnostic traces of agent messages; never visible to customers (no customer policy)';
-- frozen: the key, the author (see trace_author below) and created_at
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.message_traces
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'message_id', 'author_id', 'created_at');

-- A trace's author_id is its message's author (the agents' "own traces"
-- rule reads it): filled in from the message, and a different one refused,
-- so no writer can name someone else, or someone of another workspace.
CREATE FUNCTION @extschema@.trace_author() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    author uuid;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never read (or reveal) another workspace's message: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    SELECT m.author_id INTO author FROM @extschema@.messages m
     WHERE m.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id
       AND m.id OPERATOR(pg_catalog.=) NEW.message_id;
    -- (no message: the foreign key says so)
    IF NEW.author_id IS NOT NULL AND NEW.author_id IS DISTINCT FROM author THEN
        RAISE EXCEPTION 'author_id of a trace must be its message''s author'
            USING ERRCODE = 'WO007', HINT = 'Leave author_id out; it is filled in from the message.';
    END IF;
    NEW.author_id := author;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.trace_author() IS
    'Internal trigger: a trace''s author_id is its message''s author (WO007 for any other)';
CREATE TRIGGER trace_author BEFORE INSERT OR UPDATE OF author_id ON @extschema@.message_traces
    FOR EACH ROW EXECUTE FUNCTION @extschema@.trace_author();

-- Thread keys: how an incoming message finds its conversation.  One row
-- per key (a chat session id, a Discord thread id, every email Message-ID
-- of the thread); a key moves to the follow-up when a closed thread is
-- written to again.
CREATE TABLE @extschema@.thread_refs (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    ref         text NOT NULL CHECK (length(ref) BETWEEN 1 AND 1000),
    conversation_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, channel, ref),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.thread_refs (workspace_id, conversation_id);
COMMENT ON TABLE @extschema@.thread_refs IS
    'Channel thread keys (session, channel or thread ids, email Message-IDs) and the conversation each belongs to';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.thread_refs
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'channel', 'ref', 'created_at');

-- participants: staff only
CREATE POLICY participants_staff_read ON @extschema@.participants FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY participants_staff_read ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins read participants';
CREATE POLICY participants_staff_insert ON @extschema@.participants FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY participants_staff_insert ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins add participants';
CREATE POLICY participants_staff_update ON @extschema@.participants FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY participants_staff_update ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins change participants';
CREATE POLICY participants_admin_delete ON @extschema@.participants FOR DELETE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY participants_admin_delete ON @extschema@.participants IS
    'Defined by woes. Only admins delete participants';

-- messages: the visibility matrix.  A customer reads the public messages of
-- its own conversations; an agent reads public messages and what it wrote
-- itself; operators and admins read everything; analysts read no bodies.
CREATE POLICY messages_read ON @extschema@.messages FOR SELECT
    USING (@extschema@.can_see(@extschema@.current_audience(), visibility,
                               author_id OPERATOR(pg_catalog.=) @extschema@.current_actor())
           AND (@extschema@.in_audience('{agent,operator,analyst,admin}')
                OR contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
COMMENT ON POLICY messages_read ON @extschema@.messages IS
    'Defined by woes. Who reads which message: the visibility matrix (woes.can_see), and a customer only in its own conversations';
CREATE POLICY messages_customer_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND author_kind OPERATOR(pg_catalog.=) 'customer'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND visibility OPERATOR(@extschema@.=) 'public');
COMMENT ON POLICY messages_customer_insert ON @extschema@.messages IS
    'Defined by woes. A customer writes public messages as itself, in its own conversations';
CREATE POLICY messages_agent_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent}')
                AND author_kind OPERATOR(pg_catalog.=) 'agent'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY messages_agent_insert ON @extschema@.messages IS
    'Defined by woes. An agent writes messages as itself';
CREATE POLICY messages_staff_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY messages_staff_insert ON @extschema@.messages IS
    'Defined by woes. Operators and admins write messages (the intake among them)';
CREATE POLICY messages_staff_update ON @extschema@.messages FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY messages_staff_update ON @extschema@.messages IS
    'Defined by woes. Operators and admins change messages (redaction)';
CREATE POLICY messages_admin_delete ON @extschema@.messages FOR DELETE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY messages_admin_delete ON @extschema@.messages IS
    'Defined by woes. Only admins delete messages';

-- a customer starting its own conversation records itself as participant
CREATE POLICY participants_customer_insert ON @extschema@.participants FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND kind OPERATOR(pg_catalog.=) 'customer'
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY participants_customer_insert ON @extschema@.participants IS
    'Defined by woes. A customer starting its own conversation records itself as participant';

-- traces: never customers; agents their own; operators and admins all
CREATE POLICY message_traces_read ON @extschema@.message_traces FOR SELECT
    USING (@extschema@.can_see(@extschema@.current_audience(), 'debug',
                               author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
COMMENT ON POLICY message_traces_read ON @extschema@.message_traces IS
    'Defined by woes. Traces are debug visibility: never customers; agents their own; operators and admins all';
CREATE POLICY message_traces_insert ON @extschema@.message_traces FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}')
                OR (@extschema@.in_audience('{agent}')
                    AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
COMMENT ON POLICY message_traces_insert ON @extschema@.message_traces IS
    'Defined by woes. Operators and admins write traces; an agent its own';
CREATE POLICY message_traces_staff_delete ON @extschema@.message_traces FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY message_traces_staff_delete ON @extschema@.message_traces IS
    'Defined by woes. Operators and admins delete traces';

-- thread keys: the intake's business (operators, admins)
CREATE POLICY thread_refs_staff ON @extschema@.thread_refs FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY thread_refs_staff ON @extschema@.thread_refs IS
    'Defined by woes. Thread keys are the intake''s business: operators and admins';

-- Email threading: the keys of an email are the Message-IDs in its
-- In-Reply-To and References headers (pass them as thread_ref, in any
-- order, with or without the angle brackets of a single id).
CREATE FUNCTION @extschema@.email_thread_keys(thread_ref text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN (
    SELECT CASE
        WHEN count(*) > 0 THEN array_agg(m[1] ORDER BY ord)
        WHEN btrim(thread_ref, ' <>') <> '' THEN ARRAY[btrim(thread_ref, ' <>')]
        ELSE '{}'::text[] END
      FROM regexp_matches(thread_ref, '<([^<>[:space:]]+)>', 'g') WITH ORDINALITY AS r(m, ord)
);
COMMENT ON FUNCTION @extschema@.email_thread_keys(text) IS
    'Thread keys of an email: the Message-IDs found in In-Reply-To / References (angle brackets stripped)';

UPDATE @extschema@.channels SET thread_keys = '@extschema@.email_thread_keys(text)'
 WHERE name = 'email';

-- Internal: a channel's thread keys for a reference (its thread_keys
-- function, or the reference itself as the one key).
CREATE FUNCTION @extschema@.thread_keys(channel text, thread_ref text) RETURNS text[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
    keys text[];
BEGIN
    -- resolved on this node (the search_path is pinned: the name has its schema)
    SELECT c.thread_keys::pg_catalog.regprocedure INTO fn FROM @extschema@.channels c
     WHERE c.name OPERATOR(pg_catalog.=) thread_keys.channel;
    IF fn IS NULL THEN
        keys := ARRAY[btrim(thread_ref)];
    ELSE
        EXECUTE format('SELECT %s($1)', fn::regproc) INTO keys USING thread_ref;
    END IF;
    RETURN array_remove(keys, '');
END;
$$;
COMMENT ON FUNCTION @extschema@.thread_keys(text, text) IS
    'Internal: the thread keys of a channel''s thread reference';

-- Internal: the length and presence checks every writing function shares.
CREATE FUNCTION @extschema@.require_text(value text, what text, max_length integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR length(value) = 0 OR length(value) > max_length THEN
        RAISE EXCEPTION 'invalid %', what
            USING ERRCODE = 'WO007', HINT = format('%s is 1 to %s characters.', initcap(what), max_length);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_text(text, text, integer) IS
    'Internal: raise WO007 unless value is 1 to max_length characters';

-- Intake is C (intake.c): the same steps with kept plans, and the writes a
-- message into a known thread does not need (participant, thread keys,
-- contact) skipped when nothing is missing.
CREATE FUNCTION @extschema@.receive_message(channel text, thread_ref text, sender_external_id text,
                                            body text, external_message_id text,
                                            sender_name text DEFAULT NULL,
                                            sent_at timestamptz DEFAULT now(),
                                            workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_receive_message'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz, uuid) IS
    'Intake of a customer message from a channel: finds or creates identity, contact and conversation by the thread reference, appends the message; idempotent on (channel, external_message_id); returns the message id. workspace: the context''s (on Citus, naming it as a constant lets Citus send the call straight to the tenant''s worker)';

CREATE FUNCTION @extschema@.start_conversation(contact uuid, channel text, subject text DEFAULT NULL,
                                               body text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a    @extschema@.audience := @extschema@.current_audience();
    ws   uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    conv uuid;
BEGIN
    PERFORM @extschema@.require_audience('{customer,operator,admin}', 'starting a conversation');
    PERFORM @extschema@.require_channel(start_conversation.channel);
    IF start_conversation.contact IS NULL
       OR (a OPERATOR(@extschema@.=) 'customer'
           AND start_conversation.contact OPERATOR(pg_catalog.<>) @extschema@.current_actor())
       OR NOT EXISTS (SELECT 1 FROM @extschema@.contacts c
                       WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
                         AND c.id OPERATOR(pg_catalog.=) start_conversation.contact)
    THEN
        RAISE EXCEPTION 'contact % not found in this workspace', start_conversation.contact
            USING ERRCODE = 'WO005';
    END IF;
    IF length(start_conversation.subject) > 1000 THEN
        RAISE EXCEPTION 'invalid subject' USING ERRCODE = 'WO007', HINT = 'A subject is at most 1000 characters.';
    END IF;
    IF length(start_conversation.body) > 100000 THEN
        RAISE EXCEPTION 'invalid message body'
            USING ERRCODE = 'WO007', HINT = 'A body is text of at most 100000 characters.';
    END IF;
    INSERT INTO @extschema@.conversations (channel, contact_id, subject)
    VALUES (start_conversation.channel, start_conversation.contact, start_conversation.subject)
    RETURNING id INTO conv;
    INSERT INTO @extschema@.participants (conversation_id, kind, contact_id)
    VALUES (conv, 'customer', start_conversation.contact);
    IF start_conversation.body IS NOT NULL THEN
        -- the customer's first words, or an operator's outbound message
        INSERT INTO @extschema@.messages (conversation_id, author_kind, author_id, body, channel)
        VALUES (conv,
                CASE WHEN a OPERATOR(@extschema@.=) 'customer' OR @extschema@.current_actor() IS NULL
                     THEN 'customer' ELSE 'operator' END,
                CASE WHEN a OPERATOR(@extschema@.=) 'customer' OR @extschema@.current_actor() IS NULL
                     THEN start_conversation.contact ELSE @extschema@.current_actor() END,
                start_conversation.body, start_conversation.channel);
    END IF;
    RETURN conv;
END;
$$;
COMMENT ON FUNCTION @extschema@.start_conversation(uuid, text, text, text) IS
    'Start a conversation for a contact (a customer for itself; an operator or the backend for anyone), with an optional first message; returns its id';

CREATE FUNCTION @extschema@.reply(conversation uuid, body text,
                                  visibility @extschema@.visibility DEFAULT 'public',
                                  grounding jsonb DEFAULT NULL, trace jsonb DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a     @extschema@.audience := @extschema@.current_audience();
    actor uuid := @extschema@.current_actor();
    ws    uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    ch    text;
    msg   uuid;
BEGIN
    IF NOT @extschema@.in_audience('{agent,operator,admin}') THEN
        PERFORM @extschema@.require_audience('{agent,operator,admin}', 'replying');
    END IF;
    IF reply.body IS NULL OR length(reply.body) NOT BETWEEN 1 AND 100000 THEN
        PERFORM @extschema@.require_text(reply.body, 'message body', 100000);
    END IF;
    IF reply.conversation IS NULL OR reply.visibility IS NULL THEN
        RAISE EXCEPTION 'conversation and visibility must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF reply.grounding IS NOT NULL AND jsonb_typeof(reply.grounding) OPERATOR(pg_catalog.<>) 'array' THEN
        RAISE EXCEPTION 'grounding must be a JSON array of sources'
            USING ERRCODE = 'WO007', HINT = 'E.g. [{"url": "https://docs.example.com/a", "title": "A"}].';
    END IF;
    -- (a statement of its own: Citus takes no subquery in an INSERT)
    SELECT c.channel INTO ch FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) reply.conversation;
    INSERT INTO @extschema@.messages (conversation_id, author_kind, author_id, visibility, body, grounding, channel)
    VALUES (reply.conversation,
            CASE WHEN a OPERATOR(@extschema@.=) 'agent' THEN 'agent'
                 WHEN actor IS NULL THEN 'system' ELSE 'operator' END,
            actor, reply.visibility, reply.body, reply.grounding, ch)
    RETURNING id INTO msg;
    IF reply.trace IS NOT NULL THEN
        INSERT INTO @extschema@.message_traces (message_id, author_id, trace)
        VALUES (msg, actor, reply.trace);
    END IF;
    RETURN msg;
END;
$$;
COMMENT ON FUNCTION @extschema@.reply(uuid, text, @extschema@.visibility, jsonb, jsonb) IS
    'Write in a conversation as the context''s operator or agent: public (to the customer), internal (a note) or debug; an agent''s answer may carry grounding (sources) and trace (diagnostics, never shown to customers)';

CREATE FUNCTION @extschema@.add_note(conversation uuid, body text) RETURNS uuid
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.reply(conversation, body, 'internal');
COMMENT ON FUNCTION @extschema@.add_note(uuid, text) IS
    'A private note (internal: operators see it, customers never); from an agent it is a suggestion for the operator';

CREATE FUNCTION @extschema@.redact_message(message uuid, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'redacting a message');
    PERFORM @extschema@.require_text(redact_message.reason, 'reason', 1000);
    -- a redacted message is final (the guard refuses any later change), so
    -- redacting it again is a no-op that keeps the first record
    UPDATE @extschema@.messages m
       SET body = NULL, attachments = '[]', grounding = NULL,
           redacted_at = now(), redacted_by = @extschema@.current_actor(),
           redaction_reason = redact_message.reason
     WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
       AND m.id OPERATOR(pg_catalog.=) redact_message.message
       AND m.redacted_at IS NULL;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM @extschema@.messages m
                                  WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
                                    AND m.id OPERATOR(pg_catalog.=) redact_message.message) THEN
        RAISE EXCEPTION 'message % not found in this workspace', redact_message.message USING ERRCODE = 'WO005';
    END IF;
    DELETE FROM @extschema@.message_traces t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) ws AND t.message_id OPERATOR(pg_catalog.=) redact_message.message;
END;
$$;
COMMENT ON FUNCTION @extschema@.redact_message(uuid, text) IS
    'Remove a message''s content (body, attachments, grounding, trace) and keep that it existed: who wrote it, when, who redacted it and why';

CREATE FUNCTION @extschema@.erase_contact(contact uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    t  timestamptz := now();    -- a value: Citus takes no now() inside coalesce
    m  uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'erasing a contact');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.contacts c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
                      AND c.id OPERATOR(pg_catalog.=) erase_contact.contact) THEN
        RAISE EXCEPTION 'contact % not found in this workspace', erase_contact.contact USING ERRCODE = 'WO005';
    END IF;
    FOR m IN SELECT x.id FROM @extschema@.messages x
              WHERE x.workspace_id OPERATOR(pg_catalog.=) ws
                AND x.author_kind OPERATOR(pg_catalog.=) 'customer'
                AND x.author_id OPERATOR(pg_catalog.=) erase_contact.contact
                AND x.redacted_at IS NULL
    LOOP
        PERFORM @extschema@.redact_message(m, 'contact erased');
    END LOOP;
    UPDATE @extschema@.conversations c SET subject = NULL
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.thread_refs r USING @extschema@.conversations c
     WHERE r.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.workspace_id OPERATOR(pg_catalog.=) r.workspace_id AND c.id OPERATOR(pg_catalog.=) r.conversation_id
       AND c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.participants p SET display_name = NULL
     WHERE p.workspace_id OPERATOR(pg_catalog.=) ws AND p.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) ws AND i.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.contacts c
       SET name = NULL, email = NULL, metadata = '{}', erased_at = coalesce(c.erased_at, t)
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) erase_contact.contact;
END;
$$;
COMMENT ON FUNCTION @extschema@.erase_contact(uuid) IS
    'Right to erasure: redact everything a contact wrote, drop its identities and thread keys, blank its name, email and subjects; keep the record that it existed';

--------------------------------------------------------------------------
-- Views per audience.  security_invoker: they run with the caller's
-- rights and policies (a default view would run as its owner and bypass
-- them).  Not security_barrier: the boundary is row-level security, whose
-- conditions PostgreSQL always applies before any condition of the caller
-- (a leaky function sees no row the policies hide), and each view's own
-- filter only repeats its audience's policy.  A barrier would add no
-- protection, and would stop "ORDER BY id DESC LIMIT 50" from reaching the
-- index (a customer's thread would be read whole and sorted).  Names from
-- other tables (a trace, a contact's name) are scalar subqueries, not outer
-- joins: Citus on PostgreSQL 15 and 16 refuses an outer join beside the
-- policies' audience tests; for a page they cost the same index probe.
-- Every view ends with workspace_id: on Citus a read that names it is
-- routed to the workspace's worker, one that does not asks every shard.
--------------------------------------------------------------------------

CREATE VIEW @extschema@.customer_conversations WITH (security_invoker = true) AS
SELECT c.id, c.number, c.channel, c.subject,
       CASE WHEN c.status OPERATOR(@extschema@.=) ANY ('{open,snoozed}') THEN 'open'
            WHEN c.status OPERATOR(@extschema@.=) 'pending' THEN 'awaiting_customer'
            ELSE c.status::text END AS status,
       c.previous_conversation_id, c.created_at, c.last_message_at, c.workspace_id,
       c.merged_into_id
  FROM @extschema@.conversations c
 WHERE c.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
COMMENT ON VIEW @extschema@.customer_conversations IS
    'A customer''s own conversations, with the status in the customer''s words (open, awaiting_customer, resolved, closed; a snooze shows as open); a merged one is closed and names where its messages went (merged_into_id)';

CREATE VIEW @extschema@.customer_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.body, m.attachments, m.created_at,
       m.redacted_at IS NOT NULL AS redacted, m.workspace_id
  FROM @extschema@.messages m
 WHERE m.visibility OPERATOR(@extschema@.=) 'public'
   AND m.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
COMMENT ON VIEW @extschema@.customer_messages IS
    'The public messages of a customer''s own conversations: no notes, no debug, no grounding, no trace';

CREATE VIEW @extschema@.agent_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding,
       (SELECT t.trace FROM @extschema@.message_traces t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id
           AND t.message_id OPERATOR(pg_catalog.=) m.id) AS trace,
       m.created_at, m.redacted_at, m.workspace_id
  FROM @extschema@.messages m
 WHERE @extschema@.can_see('agent', m.visibility, m.author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON VIEW @extschema@.agent_messages IS
    'What an agent may read: public messages, and its own notes, debug messages and traces';

CREATE VIEW @extschema@.operator_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding,
       (SELECT t.trace FROM @extschema@.message_traces t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id
           AND t.message_id OPERATOR(pg_catalog.=) m.id) AS trace,
       m.channel, m.external_id, m.created_at, m.edited_at,
       m.redacted_at, m.redacted_by, m.redaction_reason, m.workspace_id
  FROM @extschema@.messages m;
COMMENT ON VIEW @extschema@.operator_messages IS
    'Every message of the workspace with notes, debug, grounding and traces (operators and admins)';

CREATE VIEW @extschema@.inbox WITH (security_invoker = true) AS
SELECT c.id, c.number, c.status, c.control, c.channel, c.subject,
       c.contact_id,
       (SELECT ct.name FROM @extschema@.contacts ct
         WHERE ct.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND ct.id OPERATOR(pg_catalog.=) c.contact_id) AS contact_name,
       c.assignee_id,
       (SELECT o.name FROM @extschema@.operators o
         WHERE o.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND o.id OPERATOR(pg_catalog.=) c.assignee_id) AS assignee_name,
       c.team_id,
       (SELECT tm.name FROM @extschema@.teams tm
         WHERE tm.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND tm.id OPERATOR(pg_catalog.=) c.team_id) AS team_name,
       -- the tags' names, alphabetical (37_tags.sql)
       ARRAY(SELECT tg.name FROM @extschema@.conversation_tags ctg
               JOIN @extschema@.tags tg
                 ON tg.workspace_id OPERATOR(pg_catalog.=) ctg.workspace_id
                AND tg.id OPERATOR(pg_catalog.=) ctg.tag_id
              WHERE ctg.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
                AND ctg.conversation_id OPERATOR(pg_catalog.=) c.id
              ORDER BY pg_catalog.lower(tg.name)) AS tags,
       c.last_message_at, c.waiting_since, c.unanswered_count AS unread_count,
       c.snoozed_until, c.created_at, c.updated_at, c.workspace_id
  FROM @extschema@.conversations c;
COMMENT ON VIEW @extschema@.inbox IS
    'An operator''s list: status, control, assignee and team, tags, last message time, waiting since, and unread (unanswered customer messages); page it by status ordered by last_message_at DESC NULLS LAST, id DESC';

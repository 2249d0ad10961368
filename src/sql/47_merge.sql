--------------------------------------------------------------------------
-- Merging conversations: woes.merge(source, target) makes one conversation
-- of two in a workspace.  The source's messages (every id kept),
-- participants, tags, linked issues and custom field values (the target's
-- values win) move to the target; the source is closed (status history:
-- reason 'merged') and points to the target (merged_into_id); the merge
-- is recorded (woes.merges) and told to both conversations' streams
-- (conversation.merged, src/merge.c).
--
-- Who sees what: a message keeps its contact_id, the customer who reads
-- it.  Same customer: she reads the whole merged thread in the target, and
-- the source's thread keys lead her later messages there.  Two customers:
-- each keeps reading exactly what she read before (her own conversation's
-- messages, now in the target), never the other's; the source's thread
-- keys stay with the source, so her next message starts a follow-up of it
-- that she can read and operators can answer (a reply in the target would
-- go to the target's customer).  Operators read everything, as before.
--
-- A message written to a merged conversation later (a stale id, an intake
-- that read the thread's keys just before the merge) is taken to the
-- target by the message trigger (follow_merges in src/messages.c).
--
-- woes.merge() runs as the caller (on Citus its writes then share the
-- caller's connections, so the same transaction may read them); what
-- keeps a merge honest on every path is the triggers below: who reads a
-- message never changes, a message moves only to its conversation's
-- merge target, and a merge pointer is set once, by the rules.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.merges (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    -- a conversation is merged once: the source is closed
    source_id   uuid NOT NULL,
    target_id   uuid NOT NULL,
    -- how many messages moved
    messages    integer NOT NULL CHECK (messages >= 0),
    -- filled from the context by the merge_recorded trigger
    actor_kind  text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id    uuid,
    reason      text CHECK (length(reason) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, source_id),
    CHECK (source_id <> target_id),
    FOREIGN KEY (workspace_id, source_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, target_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
-- what was merged into a conversation
CREATE INDEX merges_target_idx ON @extschema@.merges (workspace_id, target_id);
COMMENT ON TABLE @extschema@.merges IS
    'Merges of conversations (source into target): the history of both, written by the merged trigger when a conversation''s merged_into_id is set';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.merges
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'source_id', 'target_id', 'messages',
                                                          'actor_kind', 'actor_id', 'reason', 'created_at');

CREATE FUNCTION @extschema@.merge_recorded() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_merge_recorded'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.merge_recorded() IS
    'Internal trigger: a merge is recorded by the merged trigger only (as the owner), with the context''s actor, and writes conversation.merged to the source''s and the target''s streams';
CREATE TRIGGER merge_recorded BEFORE INSERT ON @extschema@.merges
    FOR EACH ROW EXECUTE FUNCTION @extschema@.merge_recorded();

CREATE POLICY merges_read ON @extschema@.merges FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY merges_read ON @extschema@.merges IS
    'Defined by woes. Agents, operators, analysts and admins read the merges; only the merged trigger writes them';

-- The rules of a merge, on every path (woes.merge(), a raw UPDATE): a
-- conversation's merged_into_id is set once, on a closed conversation, to
-- another conversation of the workspace that is neither closed nor merged,
-- in the operator or admin audience; never changed or cleared; a new
-- conversation starts unmerged.  Setting it records the merge (woes.merges,
-- whose trigger writes the events), with the reason in woes.reason.
CREATE FUNCTION @extschema@.merged() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       record;
    moving  integer;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.merged_into_id IS NOT NULL THEN
            RAISE EXCEPTION 'a new conversation cannot start merged' USING ERRCODE = 'WO103',
                HINT = 'Use woes.merge(source, target).';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.merged_into_id IS NOT DISTINCT FROM OLD.merged_into_id THEN
        RETURN NEW;
    END IF;
    IF OLD.merged_into_id IS NOT NULL THEN
        RAISE EXCEPTION 'conversation % was merged: a merge is final', OLD.number USING ERRCODE = 'WO103';
    END IF;
    PERFORM @extschema@.require_audience('{operator,admin}', 'merging conversations');
    IF NEW.status::text OPERATOR(pg_catalog.<>) 'closed' THEN
        RAISE EXCEPTION 'conversation % is merged only when it is closed', NEW.number USING ERRCODE = 'WO103',
            HINT = 'Use woes.merge(source, target), which closes it.';
    END IF;
    IF NEW.merged_into_id OPERATOR(pg_catalog.=) NEW.id THEN
        RAISE EXCEPTION 'a conversation cannot be merged into itself' USING ERRCODE = 'WO103';
    END IF;
    SELECT c.number, c.status::text AS status, c.merged_into_id INTO t FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id AND c.id OPERATOR(pg_catalog.=) NEW.merged_into_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', NEW.merged_into_id USING ERRCODE = 'WO005';
    END IF;
    IF t.merged_into_id IS NOT NULL OR t.status OPERATOR(pg_catalog.=) 'closed' THEN
        RAISE EXCEPTION 'cannot merge into conversation %: it is closed', t.number USING ERRCODE = 'WO103';
    END IF;
    SELECT count(*) INTO moving FROM @extschema@.messages m
     WHERE m.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id AND m.conversation_id OPERATOR(pg_catalog.=) NEW.id;
    INSERT INTO @extschema@.merges (workspace_id, source_id, target_id, messages, actor_kind, reason)
    VALUES (NEW.workspace_id, NEW.id, NEW.merged_into_id, moving, 'system',
            nullif(pg_catalog.current_setting('woes.reason', true), ''));
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.merged() IS
    'Internal trigger: a conversation''s merged_into_id is set once, on a closed conversation, to an open one of the workspace (operator, admin); setting it records the merge';
CREATE TRIGGER merged BEFORE INSERT OR UPDATE OF merged_into_id ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.merged();
COMMENT ON COLUMN @extschema@.conversations.merged_into_id IS
    'The conversation this one was merged into (this one is closed); set once, by woes.merge() (the merged trigger holds every write to the merge''s rules)';

-- A message moves only to where its conversation was merged: who reads it
-- (contact_id) never changes (guard_update), and where it shows changes
-- only with a merge, so no raw UPDATE puts a message in another customer's
-- thread.
CREATE FUNCTION @extschema@.message_moved() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id
                      AND c.id OPERATOR(pg_catalog.=) OLD.conversation_id
                      AND c.merged_into_id OPERATOR(pg_catalog.=) NEW.conversation_id) THEN
        RAISE EXCEPTION 'a message moves only to the conversation its conversation was merged into'
            USING ERRCODE = 'WO103', HINT = 'Use woes.merge(source, target).';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.message_moved() IS
    'Internal trigger: a message''s conversation changes only to the conversation its conversation was merged into';
CREATE TRIGGER message_moved BEFORE UPDATE OF conversation_id ON @extschema@.messages
    FOR EACH ROW WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
    EXECUTE FUNCTION @extschema@.message_moved();

CREATE FUNCTION @extschema@.merge(source uuid, target uuid, reason text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws     uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    s      record;
    t      record;
    other  bigint;
    why    text;
BEGIN
    -- as the caller: every statement is held to the policies and to the
    -- merge's rules (the merged and message_moved triggers)
    PERFORM @extschema@.require_audience('{operator,admin}', 'merging conversations');
    IF merge.source IS NULL OR merge.target IS NULL THEN
        RAISE EXCEPTION 'source and target must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF merge.source = merge.target THEN
        RAISE EXCEPTION 'a conversation cannot be merged into itself' USING ERRCODE = 'WO103';
    END IF;
    IF merge.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(merge.reason, 'reason', 1000);
    END IF;

    -- both rows, locked in one order: two merges of one pair (either way
    -- round) wait for each other, and the second sees the first's result;
    -- a message to either waits for the merge (the message trigger then
    -- follows merged_into_id)
    PERFORM FROM @extschema@.conversations c
      WHERE c.workspace_id = ws AND c.id IN (merge.source, merge.target)
      ORDER BY c.id FOR UPDATE;
    SELECT c.number, c.status::text AS status, c.contact_id, c.merged_into_id, c.last_message_at, c.waiting_since,
           c.unanswered_count
      INTO s FROM @extschema@.conversations c WHERE c.workspace_id = ws AND c.id = merge.source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', merge.source USING ERRCODE = 'WO005';
    END IF;
    SELECT c.number, c.status::text AS status, c.contact_id, c.merged_into_id
      INTO t FROM @extschema@.conversations c WHERE c.workspace_id = ws AND c.id = merge.target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', merge.target USING ERRCODE = 'WO005';
    END IF;

    IF s.merged_into_id = merge.target THEN
        RETURN;                                 -- done before: a retry is a no-op
    END IF;
    IF s.merged_into_id IS NOT NULL THEN
        SELECT c.number INTO other FROM @extschema@.conversations c
         WHERE c.workspace_id = ws AND c.id = s.merged_into_id;
        RAISE EXCEPTION 'conversation % was already merged into conversation %', s.number, other
            USING ERRCODE = 'WO103';
    END IF;
    IF s.status = 'closed' THEN
        RAISE EXCEPTION 'conversation % is closed: a closed conversation is final and is not merged', s.number
            USING ERRCODE = 'WO103';
    END IF;
    IF t.merged_into_id = merge.source THEN
        RAISE EXCEPTION 'conversation % was merged into conversation %: merging it back would make a cycle',
            t.number, s.number USING ERRCODE = 'WO103';
    END IF;
    IF t.merged_into_id IS NOT NULL THEN
        SELECT c.number INTO other FROM @extschema@.conversations c
         WHERE c.workspace_id = ws AND c.id = t.merged_into_id;
        RAISE EXCEPTION 'cannot merge into conversation %: it was merged into conversation %', t.number, other
            USING ERRCODE = 'WO103', HINT = format('Merge into conversation %s.', other);
    END IF;
    IF t.status = 'closed' THEN
        RAISE EXCEPTION 'cannot merge into conversation %: it is closed', t.number USING ERRCODE = 'WO103';
    END IF;

    -- the source closes first (its status history says why), so that
    -- nothing below is held to the rules of an open or resolved one
    PERFORM @extschema@.transition(merge.source, 'closed', 'merged');
    -- the pointer; its trigger records the merge, with the reason given
    -- (SET LOCAL, a statement: on Citus it reaches the worker where the
    -- trigger runs, which set_config() would not)
    why := pg_catalog.current_setting('woes.reason', true);
    EXECUTE pg_catalog.format('SET LOCAL woes.reason = %L', coalesce(merge.reason, ''));
    UPDATE @extschema@.conversations c SET merged_into_id = merge.target
     WHERE c.workspace_id = ws AND c.id = merge.source;
    EXECUTE pg_catalog.format('SET LOCAL woes.reason = %L', coalesce(why, ''));

    -- every message, with its id and its customer (contact_id)
    UPDATE @extschema@.messages m SET conversation_id = merge.target
     WHERE m.workspace_id = ws AND m.conversation_id = merge.source;

    -- participants not yet in the target (the source keeps its row of
    -- someone already there)
    UPDATE @extschema@.participants p SET conversation_id = merge.target
     WHERE p.workspace_id = ws AND p.conversation_id = merge.source
       AND NOT EXISTS (SELECT FROM @extschema@.participants q
                        WHERE q.workspace_id = ws AND q.conversation_id = merge.target
                          AND q.kind = p.kind
                          AND q.contact_id IS NOT DISTINCT FROM p.contact_id
                          AND q.operator_id IS NOT DISTINCT FROM p.operator_id
                          AND q.agent_id IS NOT DISTINCT FROM p.agent_id
                          AND q.external_ref IS NOT DISTINCT FROM p.external_ref);

    -- tags and linked issues: the union, each link with its first time
    -- (the link triggers tell the outbox what the target gained and the
    -- source lost)
    INSERT INTO @extschema@.conversation_tags (workspace_id, conversation_id, tag_id, created_at)
    SELECT l.workspace_id, merge.target, l.tag_id, l.created_at FROM @extschema@.conversation_tags l
     WHERE l.workspace_id = ws AND l.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_tags l WHERE l.workspace_id = ws AND l.conversation_id = merge.source;
    INSERT INTO @extschema@.conversation_issues (workspace_id, conversation_id, issue_id, created_at)
    SELECT l.workspace_id, merge.target, l.issue_id, l.created_at FROM @extschema@.conversation_issues l
     WHERE l.workspace_id = ws AND l.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_issues l WHERE l.workspace_id = ws AND l.conversation_id = merge.source;

    -- custom field values: the target's win, the source fills the gaps
    INSERT INTO @extschema@.conversation_fields (workspace_id, conversation_id, key, value)
    SELECT f.workspace_id, merge.target, f.key, f.value FROM @extschema@.conversation_fields f
     WHERE f.workspace_id = ws AND f.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_fields f WHERE f.workspace_id = ws AND f.conversation_id = merge.source;

    IF s.contact_id = t.contact_id THEN
        -- one customer: her threads lead to the target from now on
        UPDATE @extschema@.thread_refs r SET conversation_id = merge.target
         WHERE r.workspace_id = ws AND r.conversation_id = merge.source;
        -- and a question of hers still unanswered in the source waits in
        -- the target: it reopens a pending, snoozed or resolved target, as
        -- her message would have
        IF s.waiting_since IS NOT NULL THEN
            IF t.status IN ('pending', 'snoozed', 'resolved') THEN
                PERFORM @extschema@.transition(merge.target, 'open', 'merged');
            END IF;
            UPDATE @extschema@.conversations c
               SET waiting_since = least(c.waiting_since, s.waiting_since),
                   unanswered_count = c.unanswered_count + s.unanswered_count
             WHERE c.workspace_id = ws AND c.id = merge.target;
        END IF;
    END IF;
    UPDATE @extschema@.conversations c SET last_message_at = s.last_message_at
     WHERE c.workspace_id = ws AND c.id = merge.target
       AND s.last_message_at > coalesce(c.last_message_at, '-infinity');

END;
$$;
COMMENT ON FUNCTION @extschema@.merge(uuid, uuid, text) IS
    'Merge a conversation into another of the workspace (operators, admins; as the caller): messages (ids kept), participants, tags, linked issues and field values (the target''s win) move to the target; the source is closed and points to it; both get conversation.merged. A retry is a no-op';

--------------------------------------------------------------------------
-- Assignment: who works on a conversation (conversations.assignee_id, an
-- operator) and which team's queue it is in (conversations.team_id).  The
-- assignment hook of the conversation trigger (src/assignment.c) judges
-- every change of the two, whatever made it -- woes.assign, a raw UPDATE,
-- a team's or an operator's removal -- and records it: an assignments row
-- and a conversation.assigned event.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.assignments (
    workspace_id     uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    -- no foreign keys to operators and teams: the history outlives them
    from_assignee_id uuid,
    to_assignee_id   uuid,
    from_team_id     uuid,
    to_team_id       uuid,
    actor_kind       text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id         uuid,
    reason           text CHECK (length(reason) <= 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    -- deferred: an assignment made with the conversation is written by its
    -- BEFORE INSERT trigger, just before the conversation row
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.assignments IS
    'Assignment history: every change of a conversation''s assignee or team (from, to, who, why, when), kept when the operator or team is removed';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.assignments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'id', 'created_at');

CREATE POLICY assignments_read ON @extschema@.assignments FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY assignments_read ON @extschema@.assignments IS
    'Defined by woes. Agents, operators, analysts and admins read assignment history; only the assignment hook writes it';

-- a team's queue, oldest waiting first; and unassigned first, then oldest
-- waiting (the assignee's own queue: conversations_assignee_idx)
CREATE INDEX conversations_team_queue_idx ON @extschema@.conversations
    (workspace_id, team_id, status, waiting_since) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_team_unassigned_idx ON @extschema@.conversations
    (workspace_id, team_id, status, (assignee_id IS NOT NULL), waiting_since) WHERE team_id IS NOT NULL;

CREATE FUNCTION @extschema@.assign(conversation uuid, operator uuid DEFAULT NULL, team uuid DEFAULT NULL,
                                   reason text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    saved   text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'assigning a conversation');
    IF assign.conversation IS NULL OR (assign.operator IS NULL AND assign.team IS NULL) THEN
        RAISE EXCEPTION 'assign needs a conversation and an operator, a team or both'
            USING ERRCODE = 'WO007', HINT = 'woes.unassign(conversation) clears both.';
    END IF;
    -- the reason the history records, as a SET LOCAL Citus forwards to the
    -- worker where the trigger runs (see wake_snoozed); set back below
    IF assign.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(assign.reason, 'reason', 1000);
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', assign.reason));
    END IF;
    -- a compare-and-set: the same values again change nothing and record nothing
    UPDATE @extschema@.conversations c
       SET assignee_id = assign.operator, team_id = assign.team
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) assign.conversation
       AND (c.assignee_id IS DISTINCT FROM assign.operator OR c.team_id IS DISTINCT FROM assign.team);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF assign.reason IS NOT NULL THEN
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved));
    END IF;
    IF n OPERATOR(pg_catalog.=) 0 AND NOT EXISTS (
            SELECT FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.id OPERATOR(pg_catalog.=) assign.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', assign.conversation USING ERRCODE = 'WO005';
    END IF;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.assign(uuid, uuid, uuid, text) IS
    'Assign a conversation to an operator (an active one of the workspace), a team (its queue), or both (the operator must be a member); sets both columns as given; true if anything changed (the same values again are a no-op); history in woes.assignments, event conversation.assigned';

CREATE FUNCTION @extschema@.unassign(conversation uuid, reason text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    saved   text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'unassigning a conversation');
    IF unassign.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF unassign.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(unassign.reason, 'reason', 1000);
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', unassign.reason));
    END IF;
    UPDATE @extschema@.conversations c
       SET assignee_id = NULL, team_id = NULL
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) unassign.conversation
       AND (c.assignee_id IS NOT NULL OR c.team_id IS NOT NULL);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF unassign.reason IS NOT NULL THEN
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved));
    END IF;
    IF n OPERATOR(pg_catalog.=) 0 AND NOT EXISTS (
            SELECT FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.id OPERATOR(pg_catalog.=) unassign.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', unassign.conversation USING ERRCODE = 'WO005';
    END IF;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.unassign(uuid, text) IS
    'Clear a conversation''s assignee and team; true if anything changed (a no-op when it has neither)';


--------------------------------------------------------------------------
-- Handoff (src/handoff.c): who answers a conversation, its history and
-- the API that moves it.  The control rules themselves run in the
-- conversation trigger (30_lifecycle.sql).
--------------------------------------------------------------------------

-- The handoff history: every change of control (a request for a person, a
-- takeover, a release to automation), written by the lifecycle trigger as
-- the owner, like status_events.
CREATE TABLE @extschema@.handoff_events (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    kind            text NOT NULL CHECK (kind IN ('requested', 'taken_over', 'released')),
    from_control    @extschema@.control NOT NULL,
    to_control      @extschema@.control NOT NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id        uuid,
    -- the operator who holds it after a takeover
    operator_id     uuid,
    reason          text CHECK (length(reason) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.handoff_events IS
    'Handoff history: requests for a person, takeovers and releases, with who, why and when';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.handoff_events
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'id', 'created_at');

-- history: read by staff and analysts; written only by the trigger, as
-- the owner
CREATE POLICY handoff_events_read ON @extschema@.handoff_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY handoff_events_read ON @extschema@.handoff_events IS
    'Defined by woes. Agents, operators, analysts and admins read handoff history; only the handoff trigger writes it';

CREATE FUNCTION @extschema@.handoff(conversation uuid, target @extschema@.control, reason text,
                                    workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_handoff'
    LANGUAGE C VOLATILE;
-- not STRICT: a NULL reason is normal; NULL ids get a clear error
COMMENT ON FUNCTION @extschema@.handoff(uuid, @extschema@.control, text, uuid) IS
    'Internal: the compare-and-set control change behind request_handoff, take_over and release_to_automation (workspace: the context''s; on Citus the call runs on the tenant''s worker)';

CREATE FUNCTION @extschema@.request_handoff(conversation uuid, reason text DEFAULT NULL) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'handoff_requested', reason);
COMMENT ON FUNCTION @extschema@.request_handoff(uuid, text) IS
    'Stop automation and ask for a person (agent, customer for its own conversation, or operator); a no-op unless under automation';

CREATE FUNCTION @extschema@.take_over(conversation uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'operator', NULL);
COMMENT ON FUNCTION @extschema@.take_over(uuid) IS
    'The context''s operator takes the conversation (automation stops); fails with WO302 naming the operator who already has it';

CREATE FUNCTION @extschema@.release_to_automation(conversation uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'automation', NULL);
COMMENT ON FUNCTION @extschema@.release_to_automation(uuid) IS
    'Give the conversation back to automation (needs an active agent serving its channel)';

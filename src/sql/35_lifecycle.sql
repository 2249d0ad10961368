
--------------------------------------------------------------------------
-- The conversation lifecycle (src/lifecycle.c).
--
--   from \ to | open | pending | snoozed   | resolved | closed
--   open      |  -   |  yes    |  yes      |  yes     |  yes
--   pending   | yes  |   -     |  yes      |  yes     |  yes
--   snoozed   | yes  |  yes    | re-snooze |  yes     |  yes
--   resolved  | yes  |  no     |  no       |   -      |  yes
--   closed    |  no  |  no     |  no       |  no      |   -   (final)
--
-- The table lives in C, in one place; the lifecycle trigger holds every
-- write path to it (the API and a raw UPDATE alike) and records history.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.can_transition("from" @extschema@.status, "to" @extschema@.status)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_can_transition'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.can_transition(@extschema@.status, @extschema@.status) IS
    'Whether the lifecycle allows a status change from one status to another (snoozed to snoozed is a re-snooze)';

CREATE FUNCTION @extschema@.next_statuses(status @extschema@.status)
    RETURNS @extschema@.status[]
    AS 'MODULE_PATHNAME', 'woes_next_statuses'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.next_statuses(@extschema@.status) IS
    'The statuses a conversation can move to from this one, in lifecycle order';

CREATE FUNCTION @extschema@.lifecycle() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_lifecycle_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.lifecycle() IS
    'Internal trigger: enforces the status and control rules on every write, and records status_events, handoff_events and outbox events';

-- named to sort after allocate_number and guard_update: BEFORE triggers
-- fire in name order, and this one writes history, so it must be last
CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE OF status, snoozed_until, control, controller_id
    ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lifecycle();

CREATE FUNCTION @extschema@.message_intake() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_message_intake_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.message_intake() IS
    'Internal trigger: ties a new message to its conversation and makes the automatic moves of a customer message';

CREATE TRIGGER message_intake BEFORE INSERT ON @extschema@.messages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.message_intake();

-- history: staff and analysts read it; nobody writes it but the trigger
CREATE POLICY status_events_read ON @extschema@.status_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));

-- The status API is C (lifecycle.c): one compare-and-set UPDATE as the
-- caller, with a kept plan; the lifecycle trigger judges and records it.
CREATE FUNCTION @extschema@.transition(conversation uuid, to_status @extschema@.status,
                                       reason text DEFAULT NULL, snooze_until timestamptz DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_transition'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz) IS
    'Move a conversation to another status (with a reason; snooze_until for snoozed); false if it already was there';

CREATE FUNCTION @extschema@.resolve(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_resolve'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.resolve(uuid, text) IS 'Resolve a conversation; false if it already was';

CREATE FUNCTION @extschema@.reopen(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_reopen'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reopen(uuid, text) IS 'Reopen a conversation; false if it already was open';

CREATE FUNCTION @extschema@.close(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_close'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.close(uuid, text) IS 'Close a conversation for good; false if it already was';

CREATE FUNCTION @extschema@.set_pending(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_set_pending'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_pending(uuid, text) IS
    'Mark a conversation as waiting for the customer; false if it already was';

CREATE FUNCTION @extschema@.snooze(conversation uuid, until timestamptz, reason text DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_snooze'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.snooze(uuid, timestamptz, text) IS
    'Snooze a conversation until a future time (again, to move the time); false if already snoozed until then';

CREATE FUNCTION @extschema@.wake_snoozed("at" timestamptz DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET woes.reason = 'snooze_expired'
AS $$
DECLARE
    -- SECURITY DEFINER: a scheduled job wakes the due conversations of
    -- every workspace, one workspace (context) at a time.  With a context
    -- set, only that workspace.  EXECUTE: woes_service and woes_admin.
    -- read through the C accessors: they load the module, which defines
    -- the settings (current_setting would fail in a fresh session)
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
    ws    uuid;
    n     integer := 0;
    k     integer;
BEGIN
    IF wake_snoozed."at" IS NULL THEN
        RAISE EXCEPTION 'at must not be null' USING ERRCODE = 'WO007';
    END IF;
    FOR ws IN
        SELECT DISTINCT c.workspace_id FROM @extschema@.conversations c
         WHERE c.status OPERATOR(@extschema@.=) 'snoozed'
           AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
           AND (saved_workspace OPERATOR(pg_catalog.=) ''
                OR c.workspace_id OPERATOR(pg_catalog.=) saved_workspace::uuid)
    LOOP
        -- the wake-up acts as the system (no actor) in that workspace
        PERFORM pg_catalog.set_config('woes.workspace', ws::text, true),
                pg_catalog.set_config('woes.audience', 'operator', true),
                pg_catalog.set_config('woes.actor', '', true);
        -- claim due rows; rows another transaction holds (a customer reply,
        -- another runner) are skipped, never woken twice
        WITH due AS (
            SELECT c.id FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.status OPERATOR(@extschema@.=) 'snoozed'
               AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
               FOR UPDATE SKIP LOCKED
        )
        UPDATE @extschema@.conversations c SET status = 'open'
          FROM due
         WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) due.id;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    PERFORM pg_catalog.set_config('woes.workspace', saved_workspace, true),
            pg_catalog.set_config('woes.audience', saved_audience, true),
            pg_catalog.set_config('woes.actor', saved_actor, true);
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.wake_snoozed(timestamptz) IS
    'Reopen every conversation whose snooze is due at the given time (reason snooze_expired); safe to run concurrently, made for a pg_cron job; returns how many';


--------------------------------------------------------------------------
-- Conversations and their lifecycle (src/conversations.c,
-- src/lifecycle.c): the conversations, their gap-free numbers, the status
-- history, the one trigger every write goes through, the status API.
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

CREATE TABLE @extschema@.conversations (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    id          uuid NOT NULL,
    -- per-workspace ticket number, gap-free; set by the allocate_number trigger
    number      bigint NOT NULL,
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    status      @extschema@.status NOT NULL DEFAULT 'open',
    -- set by the lifecycle trigger when not given: automation if an active
    -- agent serves the channel, else operator
    control     @extschema@.control NOT NULL,
    -- the operator holding the conversation while control is operator
    controller_id uuid,
    contact_id  uuid NOT NULL,
    assignee_id uuid,
    team_id     uuid,
    subject     text CHECK (length(subject) <= 1000),
    thread_ref  text CHECK (length(thread_ref) <= 10000),
    snoozed_until timestamptz,
    previous_conversation_id uuid,
    last_message_at timestamptz,
    -- the oldest customer message not yet answered by an operator
    waiting_since timestamptz,
    -- public customer messages since the last public staff reply
    unanswered_count integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- the conversation this one was merged into (it is closed); set once,
    -- as 47_merge.sql's trigger allows.  Last: added by 0.2.0.
    merged_into_id uuid,
    -- the metrics, kept in the same write as the change that moves them
    -- (src/metrics.c; definitions in the README, "Metrics"); last: 0.2.0
    first_customer_message_at timestamptz,
    first_response_at timestamptz,
    human_clock_from timestamptz,
    first_human_response_at timestamptz,
    first_operator_message_at timestamptz,
    first_resolved_at timestamptz,
    last_resolved_at timestamptz,
    reopen_count integer NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
    assignment_count integer NOT NULL DEFAULT 0 CHECK (assignment_count >= 0),
    first_assigned_at timestamptz,
    handoff_requested_at timestamptz,
    handoff_taken_at timestamptz,
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, number),
    -- a customer's list of conversations (newest first, read backwards);
    -- it was the target of the messages' (conversation, contact) key in
    -- 0.1.0.  A message carries its customer (contact_id), so customer
    -- visibility is a plain column test in a policy, with no lookup.
    CONSTRAINT conversations_contact_key UNIQUE (workspace_id, contact_id, id),
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id),
    -- (a removed operator or team is cleared from its conversations by
    -- the release_conversations triggers below, not by ON DELETE SET NULL,
    -- which Citus refuses on a key that includes the distribution column)
    FOREIGN KEY (workspace_id, assignee_id)
        REFERENCES @extschema@.operators (workspace_id, id),
    FOREIGN KEY (workspace_id, team_id)
        REFERENCES @extschema@.teams (workspace_id, id),
    FOREIGN KEY (workspace_id, controller_id)
        REFERENCES @extschema@.operators (workspace_id, id),
    FOREIGN KEY (workspace_id, previous_conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id),
    FOREIGN KEY (workspace_id, merged_into_id)
        REFERENCES @extschema@.conversations (workspace_id, id)
);
-- The planner tells workspaces apart by workspace_id's most common values:
-- at the default statistics target (100) only the 100 largest are known,
-- and every other workspace is estimated at the average of the rest -- a
-- workspace with a few hundred open conversations looks like one with
-- twenty, and its inbox page is planned as "read them all, then sort".  A
-- thousand values cover the workspaces whose size matters to a plan
-- (src/plans.c sizes workspaces from the same statistics), for a larger
-- ANALYZE sample of this table (300,000 rows).
ALTER TABLE @extschema@.conversations ALTER COLUMN workspace_id SET STATISTICS 1000;
-- the inbox: one status, newest activity first, a page at a time
CREATE INDEX conversations_inbox_idx ON @extschema@.conversations
    (workspace_id, status, last_message_at DESC NULLS LAST, id DESC);
-- an assignee's conversations, oldest waiting first
CREATE INDEX conversations_assignee_idx ON @extschema@.conversations
    (workspace_id, assignee_id, status, waiting_since) WHERE assignee_id IS NOT NULL;
-- due snoozes, for woes.wake_snoozed()
CREATE INDEX conversations_snoozed_idx ON @extschema@.conversations
    (snoozed_until, workspace_id) WHERE status = 'snoozed';
-- (no index on thread_ref: threads are found through woes.thread_refs, and
-- every index here is written again by each message's conversation update)
COMMENT ON TABLE @extschema@.conversations IS
    'The support record: one per thread on a channel, with its status, control and routing';
-- frozen: the key, the number, the contact (its messages carry it) and
-- created_at
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'number', 'contact_id', 'created_at');

-- A removed operator or team leaves the conversations it held: assignee,
-- team and controller are cleared, in the workspace of the removed row
-- only (an UPDATE of the conversations, so their triggers judge the change
-- as for any other).  As the owner: the remover need not see every
-- conversation the removed one held.
CREATE FUNCTION @extschema@.release_conversations() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (on Citus the trigger fires on a shard: teams_102186)
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'teams' OR TG_TABLE_NAME OPERATOR(pg_catalog.~) '^teams_[0-9]+$' THEN
        UPDATE @extschema@.conversations SET team_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND team_id OPERATOR(pg_catalog.=) OLD.id;
    ELSE
        UPDATE @extschema@.conversations SET assignee_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND assignee_id OPERATOR(pg_catalog.=) OLD.id;
        UPDATE @extschema@.conversations SET controller_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND controller_id OPERATOR(pg_catalog.=) OLD.id;
    END IF;
    RETURN OLD;
END;
$$;
COMMENT ON FUNCTION @extschema@.release_conversations() IS
    'Internal trigger: clears a removed operator or team from the conversations it was assigned or controlled';
CREATE TRIGGER release_conversations BEFORE DELETE ON @extschema@.operators
    FOR EACH ROW EXECUTE FUNCTION @extschema@.release_conversations();
CREATE TRIGGER release_conversations BEFORE DELETE ON @extschema@.teams
    FOR EACH ROW EXECUTE FUNCTION @extschema@.release_conversations();

-- Conversation numbers: bump the workspace's counter under its row lock.
-- The lock serialises conversation creation per workspace until commit, and
-- a rollback undoes the bump, so numbers have no gaps and no duplicates.
-- The counter is a row of its own workspace, not a column of workspaces:
-- on Citus it lives in the shard beside the workspace's conversations
-- (workspaces is a reference table there, which a shard's trigger cannot
-- write).  The row is made by the first conversation.
CREATE TABLE @extschema@.workspace_counters (
    workspace_id uuid NOT NULL REFERENCES @extschema@.workspaces (id),
    -- the last conversation number handed out
    last_conversation_number bigint NOT NULL DEFAULT 0 CHECK (last_conversation_number >= 0),
    PRIMARY KEY (workspace_id)
);
COMMENT ON TABLE @extschema@.workspace_counters IS
    'The last conversation number of each workspace; written only by the numbering trigger';
COMMENT ON COLUMN @extschema@.workspace_counters.last_conversation_number IS
    'The last conversation number handed out in the workspace';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.workspace_counters
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id');
CREATE POLICY workspace_counters_admin_read ON @extschema@.workspace_counters FOR SELECT
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY workspace_counters_admin_read ON @extschema@.workspace_counters IS
    'Defined by woes. Admins read their workspace''s counter';

CREATE FUNCTION @extschema@.allocate_conversation_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore keeps the dumped numbers; the dumped counter comes with
    -- them (see woes.restoring() for what counts as a restore)
    IF NEW.number IS NOT NULL AND @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never touch (or lock) another workspace's counter: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    INSERT INTO @extschema@.workspace_counters AS c (workspace_id, last_conversation_number)
    VALUES (NEW.workspace_id, 1)
    ON CONFLICT (workspace_id) DO UPDATE
       SET last_conversation_number = c.last_conversation_number OPERATOR(pg_catalog.+) 1
    RETURNING c.last_conversation_number INTO NEW.number;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.allocate_conversation_number() IS
    'Internal trigger: gives a new conversation the next gap-free number of its workspace';

CREATE TRIGGER allocate_number BEFORE INSERT ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.allocate_conversation_number();

-- The lifecycle history: one row per status change, and one for the
-- creation (from_status NULL).  Written only by the lifecycle trigger, as
-- the owner; nobody is granted INSERT, UPDATE or DELETE on it.  id orders
-- the events of a conversation (they are serialised by its row lock).
CREATE TABLE @extschema@.status_events (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    from_status     @extschema@.status,
    to_status       @extschema@.status NOT NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id        uuid,
    reason          text CHECK (length(reason) <= 1000),
    snoozed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    -- deferred: the creation event is written by a BEFORE INSERT trigger,
    -- just before its conversation row
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.status_events IS
    'Lifecycle history: every status change (and each creation) with who, why and when; the last row is the current status';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.status_events
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'id', 'created_at');

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
    'Internal trigger: enforces the status and control rules on every write, and records status_events, handoff_events, assignments and outbox events';

-- named to sort after allocate_number and guard_update: BEFORE triggers
-- fire in name order, and this one writes history, so it must be last
-- (the columns some hook judges: status, control, assignment)
CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE OF status, snoozed_until, control, controller_id,
    assignee_id, team_id,
    -- the metrics (src/metrics.c keeps them: a raw write of one fires it too)
    first_customer_message_at, first_response_at, human_clock_from, first_human_response_at,
    first_operator_message_at, first_resolved_at, last_resolved_at, reopen_count, assignment_count,
    first_assigned_at, handoff_requested_at, handoff_taken_at
    ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lifecycle();

-- conversations: a customer sees and starts its own; staff and analysts see
-- all; agents and operators work them; only admins delete
CREATE POLICY conversations_customer_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY conversations_customer_read ON @extschema@.conversations IS
    'Defined by woes. A customer reads its own conversations';
CREATE POLICY conversations_staff_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY conversations_staff_read ON @extschema@.conversations IS
    'Defined by woes. Agents, operators, analysts and admins read every conversation';
CREATE POLICY conversations_customer_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY conversations_customer_insert ON @extschema@.conversations IS
    'Defined by woes. A customer starts conversations of its own';
CREATE POLICY conversations_staff_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY conversations_staff_insert ON @extschema@.conversations IS
    'Defined by woes. Operators and admins start conversations';
CREATE POLICY conversations_staff_update ON @extschema@.conversations FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversations_staff_update ON @extschema@.conversations IS
    'Defined by woes. Agents, operators and admins work conversations; the lifecycle trigger judges every change';
CREATE POLICY conversations_admin_delete ON @extschema@.conversations FOR DELETE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY conversations_admin_delete ON @extschema@.conversations IS
    'Defined by woes. Only admins delete conversations';

-- history: staff and analysts read it; nobody writes it but the trigger
CREATE POLICY status_events_read ON @extschema@.status_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY status_events_read ON @extschema@.status_events IS
    'Defined by woes. Agents, operators, analysts and admins read status history; only the lifecycle trigger writes it';

-- The status API is C (lifecycle.c): one compare-and-set UPDATE as the
-- caller, with a kept plan; the lifecycle trigger judges and records it.
-- workspace: the context's; on Citus the call runs on the tenant's worker
-- by it (woes.distribute()), where the reason reaches the trigger.
CREATE FUNCTION @extschema@.transition(conversation uuid, to_status @extschema@.status,
                                       reason text DEFAULT NULL, snooze_until timestamptz DEFAULT NULL,
                                       workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_transition'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz, uuid) IS
    'Move a conversation to another status (with a reason; snooze_until for snoozed); false if it already was there';

CREATE FUNCTION @extschema@.resolve(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_resolve'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.resolve(uuid, text, uuid) IS 'Resolve a conversation; false if it already was';

CREATE FUNCTION @extschema@.reopen(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_reopen'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reopen(uuid, text, uuid) IS 'Reopen a conversation; false if it already was open';

CREATE FUNCTION @extschema@.close(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_close'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.close(uuid, text, uuid) IS 'Close a conversation for good; false if it already was';

CREATE FUNCTION @extschema@.set_pending(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_set_pending'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_pending(uuid, text, uuid) IS
    'Mark a conversation as waiting for the customer; false if it already was';

CREATE FUNCTION @extschema@.snooze(conversation uuid, until timestamptz, reason text DEFAULT NULL,
                                   workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_snooze'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.snooze(uuid, timestamptz, text, uuid) IS
    'Snooze a conversation until a future time (again, to move the time); false if already snoozed until then';

CREATE FUNCTION @extschema@.wake_snoozed("at" timestamptz DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
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
    saved_reason    text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    ws    uuid;
    n     integer := 0;
    k     integer;
BEGIN
    IF wake_snoozed."at" IS NULL THEN
        RAISE EXCEPTION 'at must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- the reason of the history rows: a SET LOCAL statement, not a SET
    -- clause, so that Citus forwards it to the workers where the UPDATEs
    -- fire the lifecycle trigger (a SET clause changes this node only).
    -- In a DO block: Citus forwards a SET LOCAL of a function's own body
    -- only inside a transaction block, one of a DO block always (as in
    -- distribute()).  Set back below: it would outlast this call.
    EXECUTE 'DO $r$ BEGIN SET LOCAL woes.reason = ''snooze_expired''; END $r$';
    FOR ws IN
        SELECT DISTINCT c.workspace_id FROM @extschema@.conversations c
         WHERE c.status OPERATOR(@extschema@.=) 'snoozed'
           AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
           AND (saved_workspace OPERATOR(pg_catalog.=) ''
                OR c.workspace_id OPERATOR(pg_catalog.=) saved_workspace::uuid)
    LOOP
        -- the wake-up acts as the system (no actor) in that workspace
        PERFORM @extschema@.switch_context(ws::text, 'operator', '');
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
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved_reason));
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.wake_snoozed(timestamptz) IS
    'Reopen every conversation whose snooze is due at the given time (reason snooze_expired); safe to run concurrently, made for a pg_cron job; returns how many';

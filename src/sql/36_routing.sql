--------------------------------------------------------------------------
-- Routing: woes.route(conversation, team) gives a conversation to the
-- available member of a team with the fewest open or pending conversations,
-- within their capacity; the loads it weighs are kept in operator_loads by
-- the load hook of the conversation trigger (src/routing.c).  An operator's
-- capacity and away flag are columns of operators (20_workspaces.sql).
--------------------------------------------------------------------------

CREATE TABLE @extschema@.operator_loads (
    workspace_id     uuid NOT NULL,
    operator_id      uuid NOT NULL,
    -- open or pending conversations assigned to the operator
    open_count       integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
    -- the operator's latest assignment: equal loads go to who waited longest
    last_assigned_at timestamptz,
    PRIMARY KEY (workspace_id, operator_id),
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.operator_loads IS
    'Per operator, the open or pending conversations assigned to them and their latest assignment: what woes.route() weighs; kept by the conversation trigger';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.operator_loads
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'operator_id');

CREATE POLICY operator_loads_read ON @extschema@.operator_loads FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY operator_loads_read ON @extschema@.operator_loads IS
    'Defined by woes. Agents, operators, analysts and admins read the loads; only the conversation trigger writes them';

CREATE FUNCTION @extschema@.route(conversation uuid, team uuid)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws        uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    default_capacity integer;
    routed    record;
    tried     uuid[] := '{}';
    chosen    uuid;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'routing a conversation');
    IF route.conversation IS NULL OR route.team IS NULL THEN
        RAISE EXCEPTION 'conversation and team must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- the loads are read after the locks below: an older snapshot would
    -- miss what the router before committed
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'routing needs READ COMMITTED' USING ERRCODE = 'WO401',
            HINT = 'Under REPEATABLE READ or SERIALIZABLE a router would weigh loads older than its locks.';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
                      AND t.id OPERATOR(pg_catalog.=) route.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', route.team USING ERRCODE = 'WO005';
    END IF;

    -- the conversation first: a second router of it waits here, then finds
    -- it routed and keeps that
    SELECT c.assignee_id, c.team_id INTO routed
      FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) route.conversation
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', route.conversation USING ERRCODE = 'WO005';
    END IF;
    IF routed.team_id OPERATOR(pg_catalog.=) route.team AND routed.assignee_id IS NOT NULL THEN
        RETURN routed.assignee_id;
    END IF;

    SELECT CASE WHEN pg_catalog.jsonb_typeof(w.settings OPERATOR(pg_catalog.->) 'routing_capacity')
                     OPERATOR(pg_catalog.=) 'number'
                THEN LEAST(GREATEST((w.settings OPERATOR(pg_catalog.->>) 'routing_capacity')::numeric, 0), 100000)::integer END
      INTO default_capacity
      FROM @extschema@.workspaces w WHERE w.id OPERATOR(pg_catalog.=) ws;

    -- Then the best candidate, locked alone: its row is the turnstile that
    -- routers picking the same operator pass one at a time.  After the lock
    -- a fresh read of its load (the router before has committed) decides;
    -- if it is full now, the next best, taken only if nobody holds it (SKIP
    -- LOCKED): a router waits for at most one operator, while holding no
    -- other, so routers never deadlock.
    LOOP
        SELECT o.id INTO chosen
          FROM @extschema@.operators o
          JOIN @extschema@.team_members m
            ON m.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
           AND m.operator_id OPERATOR(pg_catalog.=) o.id
          LEFT JOIN @extschema@.operator_loads l
            ON l.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
           AND l.operator_id OPERATOR(pg_catalog.=) o.id
         WHERE o.workspace_id OPERATOR(pg_catalog.=) ws
           AND m.team_id OPERATOR(pg_catalog.=) route.team
           AND o.active AND NOT o.away
           AND o.id OPERATOR(pg_catalog.<>) ALL (tried)
           AND (coalesce(o.capacity, default_capacity) IS NULL
                OR coalesce(l.open_count, 0) OPERATOR(pg_catalog.<) coalesce(o.capacity, default_capacity))
         ORDER BY coalesce(l.open_count, 0), l.last_assigned_at NULLS FIRST, o.id
         LIMIT 1;
        EXIT WHEN chosen IS NULL;
        tried := tried OPERATOR(pg_catalog.||) chosen;
        IF pg_catalog.cardinality(tried) OPERATOR(pg_catalog.=) 1 THEN
            PERFORM FROM @extschema@.operators o
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               FOR NO KEY UPDATE;
        ELSE
            PERFORM FROM @extschema@.operators o
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               FOR NO KEY UPDATE SKIP LOCKED;
            CONTINUE WHEN NOT FOUND;
        END IF;
        -- still available, with room, now that the router before committed?
        EXIT WHEN EXISTS (
            SELECT FROM @extschema@.operators o
              LEFT JOIN @extschema@.operator_loads l
                ON l.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
               AND l.operator_id OPERATOR(pg_catalog.=) o.id
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               AND o.active AND NOT o.away
               AND (coalesce(o.capacity, default_capacity) IS NULL
                    OR coalesce(l.open_count, 0) OPERATOR(pg_catalog.<) coalesce(o.capacity, default_capacity)));
    END LOOP;

    -- nobody has room: the conversation waits in the team's queue
    UPDATE @extschema@.conversations c
       SET assignee_id = chosen, team_id = route.team
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) route.conversation
       AND (c.assignee_id IS DISTINCT FROM chosen OR c.team_id IS DISTINCT FROM route.team);
    RETURN chosen;
END;
$$;
COMMENT ON FUNCTION @extschema@.route(uuid, uuid) IS
    'Assign a conversation to the active, not away member of a team with the fewest open or pending conversations (then the longest since an assignment) below their capacity; NULL when nobody has room (it waits in the team''s queue); an already routed conversation keeps its assignee';


--------------------------------------------------------------------------
-- The events outbox (src/events.c): the table the triggers write in the
-- same transaction as the change, and its readers.
--------------------------------------------------------------------------

-- The outbox.  id is the consumers' cursor (see woes.events_since for why
-- it is gap-free); payloads carry ids and non-sensitive fields only.  No
-- foreign key to conversations: the log outlives what it describes.
CREATE SEQUENCE @extschema@.events_id_seq AS bigint CACHE 1;
COMMENT ON SEQUENCE @extschema@.events_id_seq IS 'Event ids (the outbox cursor); CACHE 1 keeps ids in draw order';
CREATE TABLE @extschema@.events (
    -- no foreign key: events are written only by woes's triggers, under a
    -- validated context; a key check would lock the workspace row for
    -- every event, and every writer of a workspace would meet there
    workspace_id    uuid NOT NULL,
    id              bigint NOT NULL DEFAULT nextval('@extschema@.events_id_seq'),
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    conversation_id uuid,
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
ALTER SEQUENCE @extschema@.events_id_seq OWNED BY @extschema@.events.id;
-- The outbox is read as a stream by (workspace_id, id), its primary key.  A
-- conversation's history is status_events and handoff_events, keyed by
-- conversation; an index on every event for it would cost every write and
-- serve no query.
COMMENT ON TABLE @extschema@.events IS
    'Outbox of everything that happened (conversation.created, message.created, conversation.status_changed, handoff.*), written in the same transaction; read with woes.events_since()';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.events
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

-- the outbox: read by operators and admins; written only by the
-- triggers, as the owner
CREATE POLICY events_read ON @extschema@.events FOR SELECT
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY events_read ON @extschema@.events IS
    'Defined by woes. Operators and admins read the outbox; only the triggers write it';

-- Not SECURITY DEFINER: it reads the sequence as the owner inside, and on
-- Citus is sent to the workspace's worker as the caller (see
-- woes_forward_call); workspace is the context's.
CREATE FUNCTION @extschema@.event_horizon(workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_event_horizon'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.event_horizon(uuid) IS
    'Every event id below this belongs to a transaction that has ended (committed or rolled back): the gap-free limit for cursors (on Citus: of the workspace''s node)';

-- Internal: the checks every outbox read makes (operators and admins,
-- READ COMMITTED, max in bounds), then the horizon.  For the readers
-- written in SQL: called as its own statement, before the statement that
-- reads the rows (each plpgsql statement takes a new snapshot, after it).
CREATE FUNCTION @extschema@.outbox_horizon(action text, max integer) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_outbox_horizon'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.outbox_horizon(text, integer) IS
    'Internal: audience, isolation and max checks of an outbox read, then woes.event_horizon()';

-- C: the checks and the horizon, then a new snapshot, then the page, read
-- from the outbox's key where the query it stands for could not answer
-- otherwise (see src/events.c).  Runs as the caller, so the read policy
-- applies; the cursor is compared as a plain value (under row-level
-- security a generic plan kept an expression such as coalesce($1, 0) out
-- of the index condition).
CREATE FUNCTION @extschema@.events_since("cursor" bigint, max integer DEFAULT 1000)
    RETURNS SETOF @extschema@.events
    AS 'MODULE_PATHNAME', 'woes_events_since'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.events_since(bigint, integer) IS
    'The workspace''s events after cursor, in id order, at most max; gap-free: pass the last id you got as the next cursor and no event is ever skipped, whatever order transactions commit in';

CREATE FUNCTION @extschema@.resolved_conversations("cursor" bigint DEFAULT 0, max integer DEFAULT 1000)
    RETURNS TABLE (event_id bigint, conversation_id uuid, number bigint, channel text,
                   contact_id uuid, assignee_id uuid, team_id uuid, subject text,
                   custom_fields jsonb, created_at timestamptz, resolved_at timestamptz,
                   resolved_by text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();   -- a value: see upsert_contact
    past    bigint := coalesce(resolved_conversations."cursor", 0);   -- a value: see events_since
    horizon bigint;
BEGIN
    horizon := @extschema@.outbox_horizon('exporting resolved conversations', resolved_conversations.max);
    RETURN QUERY
        SELECT e.id, c.id, c.number, c.channel, c.contact_id, c.assignee_id, c.team_id, c.subject,
               (SELECT coalesce(pg_catalog.jsonb_object_agg(v.key, v.value ORDER BY v.key), '{}'::jsonb)
                  FROM @extschema@.conversation_fields v
                 WHERE v.workspace_id OPERATOR(pg_catalog.=) ws
                   AND v.conversation_id OPERATOR(pg_catalog.=) c.id),
               c.created_at, e.created_at,
               e.payload OPERATOR(pg_catalog.->>) 'actor_kind'
          FROM @extschema@.events e
          JOIN @extschema@.conversations c
            ON c.workspace_id OPERATOR(pg_catalog.=) e.workspace_id
           AND c.id OPERATOR(pg_catalog.=) e.conversation_id
         WHERE e.workspace_id OPERATOR(pg_catalog.=) ws
           AND e.id OPERATOR(pg_catalog.>) past
           AND e.id OPERATOR(pg_catalog.<) horizon
           AND e.kind OPERATOR(pg_catalog.=) 'conversation.status_changed'
           AND e.payload OPERATOR(pg_catalog.->>) 'to' OPERATOR(pg_catalog.=) 'resolved'
         ORDER BY e.id
         LIMIT resolved_conversations.max;
END;
$$;
COMMENT ON FUNCTION @extschema@.resolved_conversations(bigint, integer) IS
    'Incremental warehouse export: each resolution after cursor with the conversation''s fields; pass the last event_id as the next cursor (gap-free like events_since)';

-- A warehouse export reads resolutions only: this index gives them to it in
-- cursor order, a page at a time, however sparse they are among the
-- workspace's events (through the primary key a page would read every
-- event in between, and the planner, with no statistics on payload, may
-- instead read the whole range after the cursor and sort it).  One entry
-- per resolution, nothing for other events.
CREATE INDEX events_resolutions_idx ON @extschema@.events (workspace_id, id)
    WHERE kind OPERATOR(pg_catalog.=) 'conversation.status_changed'
      AND payload OPERATOR(pg_catalog.->>) 'to' OPERATOR(pg_catalog.=) 'resolved';
COMMENT ON INDEX @extschema@.events_resolutions_idx IS
    'The outbox''s resolutions in cursor order, for woes.resolved_conversations';

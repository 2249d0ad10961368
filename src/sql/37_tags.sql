--------------------------------------------------------------------------
-- Tags: per-workspace definitions (unique by name, case-insensitive, with
-- an optional colour and description) and the tags of each conversation.
-- A conversation refers to a tag by id, so a rename touches no
-- conversation.  Customers see none of it: tags live in tables of their
-- own, which no customer policy reaches.  Every tag added to or removed
-- from a conversation, by any path, writes an outbox event (link_event(),
-- src/links.c).
--------------------------------------------------------------------------

CREATE TABLE @extschema@.tags (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100 AND name = btrim(name)),
    color       text CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    description text CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX tags_name_key ON @extschema@.tags (workspace_id, lower(name));
COMMENT ON TABLE @extschema@.tags IS
    'Tag definitions of a workspace: unique by name (case-insensitive), with an optional colour (#rrggbb) and description';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE POLICY tags_read ON @extschema@.tags FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY tags_read ON @extschema@.tags IS
    'Defined by woes. Agents, operators, analysts and admins read the tag definitions; customers never';
-- agents define a tag by using it (woes.tag); renaming and removing is
-- for operators and admins
CREATE POLICY tags_add ON @extschema@.tags FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY tags_add ON @extschema@.tags IS
    'Defined by woes. Agents, operators and admins define tags (agents by tagging with a new name)';
CREATE POLICY tags_change ON @extschema@.tags FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY tags_change ON @extschema@.tags IS
    'Defined by woes. Operators and admins rename tags and set their colour and description';
CREATE POLICY tags_remove ON @extschema@.tags FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY tags_remove ON @extschema@.tags IS
    'Defined by woes. Operators and admins remove tags (from every conversation with them)';

CREATE TABLE @extschema@.conversation_tags (
    workspace_id    uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    conversation_id uuid NOT NULL,
    tag_id          uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, tag_id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, tag_id)
        REFERENCES @extschema@.tags (workspace_id, id) ON DELETE CASCADE
);
-- the conversations with a tag
CREATE INDEX conversation_tags_tag_idx ON @extschema@.conversation_tags (workspace_id, tag_id);
COMMENT ON TABLE @extschema@.conversation_tags IS
    'The tags of each conversation (by tag id); an added or removed tag writes conversation.tagged or conversation.untagged';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversation_tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'tag_id', 'created_at');

CREATE POLICY conversation_tags_read ON @extschema@.conversation_tags FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY conversation_tags_read ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators, analysts and admins read the conversations'' tags; customers never';
CREATE POLICY conversation_tags_add ON @extschema@.conversation_tags FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversation_tags_add ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators and admins tag conversations';
CREATE POLICY conversation_tags_remove ON @extschema@.conversation_tags FOR DELETE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversation_tags_remove ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators and admins untag conversations';

-- conversation.tagged or conversation.untagged for every tag added to or
-- removed from a conversation (src/links.c)
CREATE TRIGGER tag_event AFTER INSERT OR DELETE ON @extschema@.conversation_tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.link_event('conversation.tagged', 'conversation.untagged', 'tag_id');

CREATE FUNCTION @extschema@.define_tag(name text, color text DEFAULT NULL, description text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    tag_id  uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'defining a tag');
    PERFORM @extschema@.require_text(btrim(define_tag.name), 'tag name', 100);
    IF define_tag.color !~ '^#[0-9a-fA-F]{6}$' THEN
        RAISE EXCEPTION 'invalid colour %', define_tag.color USING ERRCODE = 'WO007', HINT = 'A colour is #rrggbb, e.g. #ff8800.';
    END IF;
    IF length(define_tag.description) > 1000 THEN
        RAISE EXCEPTION 'invalid description' USING ERRCODE = 'WO007', HINT = 'A description is at most 1000 characters.';
    END IF;
    SELECT t.id INTO tag_id FROM @extschema@.tags t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
       AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(define_tag.name))
       FOR NO KEY UPDATE;
    IF tag_id IS NULL THEN
        INSERT INTO @extschema@.tags (workspace_id, name, color, description)
        VALUES (ws, btrim(define_tag.name), define_tag.color, define_tag.description)
        ON CONFLICT DO NOTHING
        RETURNING id INTO tag_id;
        IF tag_id IS NULL THEN      -- defined at the same moment by another session
            SELECT t.id INTO tag_id FROM @extschema@.tags t
             WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
               AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(define_tag.name));
        END IF;
    ELSIF define_tag.color IS NOT NULL OR define_tag.description IS NOT NULL THEN
        UPDATE @extschema@.tags t
           SET color = coalesce(define_tag.color, t.color),
               description = coalesce(define_tag.description, t.description)
         WHERE t.workspace_id OPERATOR(pg_catalog.=) ws AND t.id OPERATOR(pg_catalog.=) tag_id;
    END IF;
    RETURN tag_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.define_tag(text, text, text) IS
    'Define a tag of the workspace (or, for an existing name, case-insensitive, set the colour and description given); returns its id';

-- the tag of this name, defined on first use unless the workspace requires
-- predefined tags (settings: require_predefined_tags)
CREATE FUNCTION @extschema@.tag_for(ws uuid, name text, create_missing boolean)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tag_id uuid;
BEGIN
    PERFORM @extschema@.require_text(btrim(tag_for.name), 'tag name', 100);
    SELECT t.id INTO tag_id FROM @extschema@.tags t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) tag_for.ws
       AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(tag_for.name));
    IF tag_id IS NOT NULL OR NOT create_missing THEN
        RETURN tag_id;
    END IF;
    IF coalesce((SELECT (w.settings OPERATOR(pg_catalog.->>) 'require_predefined_tags')::boolean
                   FROM @extschema@.workspaces w WHERE w.id OPERATOR(pg_catalog.=) tag_for.ws), false) THEN
        RAISE EXCEPTION 'tag "%" is not defined in this workspace', btrim(tag_for.name) USING ERRCODE = 'WO005',
            HINT = 'The workspace requires predefined tags: an operator or admin defines it with woes.define_tag().';
    END IF;
    INSERT INTO @extschema@.tags (workspace_id, name) VALUES (tag_for.ws, btrim(tag_for.name))
    ON CONFLICT DO NOTHING
    RETURNING id INTO tag_id;
    IF tag_id IS NULL THEN          -- defined at the same moment by another session
        SELECT t.id INTO tag_id FROM @extschema@.tags t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) tag_for.ws
           AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(tag_for.name));
    END IF;
    RETURN tag_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.tag_for(uuid, text, boolean) IS
    'Internal: the id of a tag by name (case-insensitive), defined on first use unless the workspace requires predefined tags';

CREATE FUNCTION @extschema@.tag(conversation uuid, tag text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    tag_id  uuid;
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'tagging a conversation');
    IF tag.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) tag.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', tag.conversation USING ERRCODE = 'WO005';
    END IF;
    tag_id := @extschema@.tag_for(ws, tag.tag, true);
    INSERT INTO @extschema@.conversation_tags (workspace_id, conversation_id, tag_id)
    VALUES (ws, tag.conversation, tag_id)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.tag(uuid, text) IS
    'Tag a conversation by tag name (case-insensitive; the tag is defined on first use unless the workspace requires predefined tags); true if added, false if it already had it';

CREATE FUNCTION @extschema@.untag(conversation uuid, tag text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    the_tag uuid;
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'untagging a conversation');
    IF untag.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    the_tag := @extschema@.tag_for(ws, untag.tag, false);
    DELETE FROM @extschema@.conversation_tags ct
     WHERE ct.workspace_id OPERATOR(pg_catalog.=) ws
       AND ct.conversation_id OPERATOR(pg_catalog.=) untag.conversation
       AND ct.tag_id OPERATOR(pg_catalog.=) the_tag;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.untag(uuid, text) IS
    'Remove a tag (by name, case-insensitive) from a conversation; true if removed, false if it did not have it';

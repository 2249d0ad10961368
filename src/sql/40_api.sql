
--------------------------------------------------------------------------
-- The API: verbs in schema woes.  They run as the caller (SECURITY
-- INVOKER), so row-level security applies to everything they touch; each
-- checks the audience first to give a clear error instead of an opaque RLS
-- refusal.  The few that run as the owner, and why, are listed in the
-- README (Security Model).
--------------------------------------------------------------------------

-- Internal: the channel must exist; otherwise WO007 listing the known ones.
CREATE FUNCTION @extschema@.require_channel(channel text) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF channel IS NULL OR NOT EXISTS (
        SELECT FROM @extschema@.channels c WHERE c.name OPERATOR(pg_catalog.=) require_channel.channel)
    THEN
        RAISE EXCEPTION 'unknown channel "%"', channel
            USING ERRCODE = 'WO007',
                  HINT = (SELECT format('Known channels: %s.', string_agg(c.name, ', ' ORDER BY c.name))
                            FROM @extschema@.channels c);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_channel(text) IS
    'Internal: raise WO007 unless the channel exists';

CREATE FUNCTION @extschema@.create_workspace(slug text, name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    -- SECURITY DEFINER: a new workspace has no context yet to write it under.
    -- EXECUTE is granted to woes_service and woes_admin only.
    IF create_workspace.slug IS NULL OR create_workspace.slug !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid workspace slug'
            USING ERRCODE = 'WO007',
                  HINT = 'A slug is 1 to 63 lowercase letters, digits or hyphens, starting with a letter or digit.';
    END IF;
    IF create_workspace.name IS NULL OR length(create_workspace.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid workspace name'
            USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    INSERT INTO @extschema@.workspaces (slug, name)
    VALUES (create_workspace.slug, create_workspace.name)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'workspace slug "%" is taken', create_workspace.slug
            USING ERRCODE = 'WO008', HINT = 'Choose another slug.';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.create_workspace(text, text) IS
    'Create a tenant workspace and return its id (woes_service, woes_admin); no context needed';

CREATE FUNCTION @extschema@.add_operator(name text, email text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding an operator');
    IF add_operator.name IS NULL OR length(add_operator.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid operator name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    IF add_operator.email IS NULL OR add_operator.email !~ '^[^@\s]+@[^@\s]+$' OR length(add_operator.email) > 320 THEN
        RAISE EXCEPTION 'invalid operator email' USING ERRCODE = 'WO007', HINT = 'Give an address like name@example.com.';
    END IF;
    INSERT INTO @extschema@.operators (name, email)
    VALUES (add_operator.name, add_operator.email)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'an operator with this email already exists in the workspace'
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_operator(text, text) IS
    'Add an operator (a person who answers) to the current workspace; operator or admin audience';

CREATE FUNCTION @extschema@.add_team(name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team');
    IF add_team.name IS NULL OR length(add_team.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid team name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    INSERT INTO @extschema@.teams (name) VALUES (add_team.name)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'a team named "%" already exists in the workspace', add_team.name
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_team(text) IS
    'Add a team to the current workspace; operator or admin audience';

CREATE FUNCTION @extschema@.add_team_member(team uuid, operator uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    member_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team member');
    -- every lookup names the workspace too: row-level security scopes them
    -- already, except for callers that bypass it (superusers)
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
                      AND t.id OPERATOR(pg_catalog.=) add_team_member.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', add_team_member.team USING ERRCODE = 'WO005';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.operators o
                    WHERE o.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
                      AND o.id OPERATOR(pg_catalog.=) add_team_member.operator) THEN
        RAISE EXCEPTION 'operator % not found in this workspace', add_team_member.operator USING ERRCODE = 'WO005';
    END IF;
    INSERT INTO @extschema@.team_members (team_id, operator_id)
    VALUES (add_team_member.team, add_team_member.operator)
    ON CONFLICT DO NOTHING
    RETURNING id INTO member_id;
    IF member_id IS NULL THEN       -- already a member: idempotent
        SELECT m.id INTO member_id FROM @extschema@.team_members m
         WHERE m.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND m.team_id OPERATOR(pg_catalog.=) add_team_member.team
           AND m.operator_id OPERATOR(pg_catalog.=) add_team_member.operator;
    END IF;
    RETURN member_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_team_member(uuid, uuid) IS
    'Put an operator in a team and return the membership id (the same id again if already a member)';

CREATE FUNCTION @extschema@.add_agent(name text, channels text[] DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
    ch text;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding an agent');
    IF add_agent.name IS NULL OR length(add_agent.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid agent name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    IF add_agent.channels IS NOT NULL THEN
        IF cardinality(add_agent.channels) = 0 THEN
            RAISE EXCEPTION 'an agent must serve at least one channel'
                USING ERRCODE = 'WO007', HINT = 'Pass NULL to serve every channel.';
        END IF;
        FOREACH ch IN ARRAY add_agent.channels LOOP
            PERFORM @extschema@.require_channel(ch);
        END LOOP;
    END IF;
    INSERT INTO @extschema@.agents (name, channels) VALUES (add_agent.name, add_agent.channels)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'an agent named "%" already exists in the workspace', add_agent.name
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_agent(text, text[]) IS
    'Add an AI agent or bot; channels limits what it serves (NULL: every channel); operator or admin audience';

CREATE FUNCTION @extschema@.upsert_contact(channel text, external_id text,
                                           name text DEFAULT NULL, email text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    found_id uuid;
    new_id   uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'upserting a contact');
    PERFORM @extschema@.require_channel(upsert_contact.channel);
    IF upsert_contact.external_id IS NULL OR length(upsert_contact.external_id) NOT BETWEEN 1 AND 512 THEN
        RAISE EXCEPTION 'invalid external id' USING ERRCODE = 'WO007', HINT = 'An external id is 1 to 512 characters.';
    END IF;
    IF length(upsert_contact.name) > 200 THEN
        RAISE EXCEPTION 'invalid contact name' USING ERRCODE = 'WO007', HINT = 'A name is at most 200 characters.';
    END IF;
    IF length(upsert_contact.email) > 320 THEN
        RAISE EXCEPTION 'invalid contact email' USING ERRCODE = 'WO007', HINT = 'An email address is at most 320 characters.';
    END IF;

    -- Serialise concurrent calls for one identity (a transaction-scoped
    -- advisory lock on its hash), so two deliveries from a new sender make
    -- one contact, not two.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
        pg_catalog.concat_ws(' ', @extschema@.current_workspace(), upsert_contact.channel,
                             upsert_contact.external_id), 0));
    SELECT i.contact_id INTO found_id FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
       AND i.channel OPERATOR(pg_catalog.=) upsert_contact.channel
       AND i.external_id OPERATOR(pg_catalog.=) upsert_contact.external_id;
    IF found_id IS NULL THEN
        INSERT INTO @extschema@.contacts (name, email)
        VALUES (upsert_contact.name, upsert_contact.email)
        RETURNING id INTO new_id;
        INSERT INTO @extschema@.identities (contact_id, channel, external_id)
        VALUES (new_id, upsert_contact.channel, upsert_contact.external_id);
        RETURN new_id;
    END IF;
    -- known contact: fill in what we learnt, never erase what we knew
    IF upsert_contact.name IS NOT NULL OR upsert_contact.email IS NOT NULL THEN
        UPDATE @extschema@.contacts c
           SET name = coalesce(upsert_contact.name, c.name),
               email = coalesce(upsert_contact.email, c.email)
         WHERE c.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND c.id OPERATOR(pg_catalog.=) found_id
           AND c.erased_at IS NULL
           AND (c.name IS DISTINCT FROM coalesce(upsert_contact.name, c.name)
                OR c.email IS DISTINCT FROM coalesce(upsert_contact.email, c.email));
    END IF;
    RETURN found_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.upsert_contact(text, text, text, text) IS
    'Find the contact known on channel by external_id, or create it; returns the contact id (operator or admin audience)';

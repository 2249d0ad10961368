
--------------------------------------------------------------------------
-- Workspaces and the people in them: channels (global), workspaces,
-- contacts and their identities, operators, teams, agents; their audience
-- policies; the workspace and people API.
--
-- What every table of every file follows:
--   - a workspace table leads its primary key with workspace_id, and every
--     foreign key between workspace tables includes it, so no row can point
--     into another workspace and the schema shards by workspace_id;
--   - uuid ids have no default: the assign_id trigger makes them, and
--     refuses one a writer supplies;
--   - a workspace table declares, next to it, its guard_update trigger: the
--     columns it freezes (the primary key, created_at, and any column whose
--     change would rewrite history, such as a conversation's number or a
--     message's author);
--   - audience rules are PERMISSIVE policies, written out with the table
--     they guard.  Policies read only the context (no subquery, no table
--     lookup): Citus accepts them, and they cost one call per row at most,
--     or one per scan where the workspace test is an index condition.
-- What every table gets -- RLS enabled and forced, the RESTRICTIVE
-- isolation policy, the context and id triggers, statistics targets, dump
-- registration, and the check that no workspace table lacks its guard --
-- is applied by one loop over the catalog at the end of the script
-- (80_row_security.sql), so a table added by any file gets it.
--
-- The audience rules use these shorthands in their comments:
--   A := @extschema@.current_audience(), actor := @extschema@.current_actor()
--------------------------------------------------------------------------

-- Global lookup data: the channels.  Adding a channel is a row (plus, for
-- its own threading rules, at most one function), never a schema change.
CREATE TABLE @extschema@.channels (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    description text NOT NULL,
    -- how a thread reference becomes thread keys: a function (text) returns
    -- text[]; NULL means the reference is one key (a chat session id, a
    -- Discord channel or thread id).  Its signature as text, with its
    -- schema ('myschema.fn(text)'), not a regprocedure: channels is a
    -- reference table on Citus, and a function's OID differs between nodes.
    thread_keys text CHECK (pg_catalog.strpos(pg_catalog.split_part(thread_keys, '(', 1), '.') > 0),
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.channels IS
    'Channels conversations arrive on (global, not per workspace); builtin rows come with the extension';
INSERT INTO @extschema@.channels (name, description, builtin) VALUES
    ('live_chat', 'Live chat widget; thread reference: the chat session id', true),
    ('discord', 'Discord; thread reference: the channel or thread id', true),
    ('email', 'Email; thread reference: Message-ID, In-Reply-To and References headers', true),
    ('api', 'Direct API intake; thread reference: the caller''s own conversation key', true);
-- (email's thread_keys function is set once it exists, in 40_messages.sql)

CREATE TABLE @extschema@.workspaces (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.workspaces IS
    'Tenants.  Each sees only itself; a Citus deployment makes this a reference table';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.workspaces
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('id', 'created_at');

-- workspaces: everyone in the workspace reads it; admins rename/configure it
CREATE POLICY workspaces_read ON @extschema@.workspaces FOR SELECT
    USING (@extschema@.current_audience() IS NOT NULL);
COMMENT ON POLICY workspaces_read ON @extschema@.workspaces IS
    'Defined by woes. Everyone with a context reads its workspace';
CREATE POLICY workspaces_admin_update ON @extschema@.workspaces FOR UPDATE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY workspaces_admin_update ON @extschema@.workspaces IS
    'Defined by woes. Admins rename and configure their workspace';

CREATE TABLE @extschema@.contacts (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text CHECK (length(name) <= 200),
    email       text CHECK (length(email) <= 320),
    blocked     boolean NOT NULL DEFAULT false,
    metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    erased_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
COMMENT ON TABLE @extschema@.contacts IS
    'Customers of a workspace; a customer-audience context acts as one contact';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.contacts
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE TABLE @extschema@.identities (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    id          uuid NOT NULL,
    contact_id  uuid NOT NULL,
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 512),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, channel, external_id),
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.identities (workspace_id, contact_id);
COMMENT ON TABLE @extschema@.identities IS
    'How a contact is known on a channel: a Discord user id, an email address, a chat visitor id';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.identities
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

-- contacts and identities: a customer sees itself; staff see everyone
CREATE POLICY contacts_customer_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY contacts_customer_read ON @extschema@.contacts IS
    'Defined by woes. A customer reads its own contact';
CREATE POLICY contacts_staff_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY contacts_staff_read ON @extschema@.contacts IS
    'Defined by woes. Agents, operators and admins read every contact';
CREATE POLICY contacts_staff_insert ON @extschema@.contacts FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY contacts_staff_insert ON @extschema@.contacts IS
    'Defined by woes. Operators and admins add contacts';
CREATE POLICY contacts_staff_update ON @extschema@.contacts FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY contacts_staff_update ON @extschema@.contacts IS
    'Defined by woes. Operators and admins change contacts';
CREATE POLICY contacts_admin_delete ON @extschema@.contacts FOR DELETE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY contacts_admin_delete ON @extschema@.contacts IS
    'Defined by woes. Only admins delete contacts';

CREATE POLICY identities_customer_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON POLICY identities_customer_read ON @extschema@.identities IS
    'Defined by woes. A customer reads its own identities';
CREATE POLICY identities_staff_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY identities_staff_read ON @extschema@.identities IS
    'Defined by woes. Agents, operators and admins read every identity';
CREATE POLICY identities_staff_insert ON @extschema@.identities FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY identities_staff_insert ON @extschema@.identities IS
    'Defined by woes. Operators and admins add identities';
CREATE POLICY identities_staff_update ON @extschema@.identities FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY identities_staff_update ON @extschema@.identities IS
    'Defined by woes. Operators and admins change identities';
-- operators delete identities too: erasure (woes.erase_contact) runs as them
CREATE POLICY identities_staff_delete ON @extschema@.identities FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY identities_staff_delete ON @extschema@.identities IS
    'Defined by woes. Operators and admins delete identities (erasure runs as them)';

CREATE TABLE @extschema@.operators (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- routing (36_routing.sql): how many open or pending conversations
    -- woes.route() gives the operator (NULL: the workspace's
    -- routing_capacity setting), and whether they are away (routed nothing)
    capacity    integer CHECK (capacity BETWEEN 0 AND 100000),
    away        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX operators_email_key ON @extschema@.operators (workspace_id, lower(email));
COMMENT ON TABLE @extschema@.operators IS 'People who answer conversations';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.operators
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE TABLE @extschema@.teams (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
COMMENT ON TABLE @extschema@.teams IS 'Groups of operators that conversations can be routed to';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.teams
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE TABLE @extschema@.team_members (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    id          uuid NOT NULL,
    team_id     uuid NOT NULL,
    operator_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, team_id, operator_id),
    FOREIGN KEY (workspace_id, team_id)
        REFERENCES @extschema@.teams (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.team_members (workspace_id, operator_id);
COMMENT ON TABLE @extschema@.team_members IS 'Which operators belong to which teams';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.team_members
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE TABLE @extschema@.agents (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- NULL: serves every channel
    channels    text[] CHECK (cardinality(channels) > 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
COMMENT ON TABLE @extschema@.agents IS 'AI agents and bots that answer under automation';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.agents
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

-- the people and bots of a workspace: staff and analysts read, operators and
-- admins maintain, admins delete
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['operators', 'teams', 'team_members', 'agents'] LOOP
        EXECUTE format($p$
            CREATE POLICY %1$s_read ON @extschema@.%1$I FOR SELECT
                USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
            CREATE POLICY %1$s_staff_insert ON @extschema@.%1$I FOR INSERT
                WITH CHECK (@extschema@.in_audience('{operator,admin}'));
            CREATE POLICY %1$s_staff_update ON @extschema@.%1$I FOR UPDATE
                USING (@extschema@.in_audience('{operator,admin}'));
            CREATE POLICY %1$s_admin_delete ON @extschema@.%1$I FOR DELETE
                USING (@extschema@.in_audience('{admin}'));
            COMMENT ON POLICY %1$s_read ON @extschema@.%1$I IS
                'Defined by woes. Agents, operators, analysts and admins read %2$s';
            COMMENT ON POLICY %1$s_staff_insert ON @extschema@.%1$I IS
                'Defined by woes. Operators and admins add %2$s';
            COMMENT ON POLICY %1$s_staff_update ON @extschema@.%1$I IS
                'Defined by woes. Operators and admins change %2$s';
            COMMENT ON POLICY %1$s_admin_delete ON @extschema@.%1$I IS
                'Defined by woes. Only admins delete %2$s';
            $p$, t, pg_catalog.replace(t, '_', ' '));
    END LOOP;
END;
$$;

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
    -- the id is made here, once: on Citus workspaces is a reference table,
    -- whose id trigger fires on every copy (see woes.assign_id())
    INSERT INTO @extschema@.workspaces (id, slug, name)
    VALUES (@extschema@.uuid_generate_v7(), create_workspace.slug, create_workspace.name)
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
    ws        uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    member_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team member');
    -- every lookup names the workspace too: row-level security scopes them
    -- already, except for callers that bypass it (superusers)
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
                      AND t.id OPERATOR(pg_catalog.=) add_team_member.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', add_team_member.team USING ERRCODE = 'WO005';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.operators o
                    WHERE o.workspace_id OPERATOR(pg_catalog.=) ws
                      AND o.id OPERATOR(pg_catalog.=) add_team_member.operator) THEN
        RAISE EXCEPTION 'operator % not found in this workspace', add_team_member.operator USING ERRCODE = 'WO005';
    END IF;
    INSERT INTO @extschema@.team_members (team_id, operator_id)
    VALUES (add_team_member.team, add_team_member.operator)
    ON CONFLICT DO NOTHING
    RETURNING id INTO member_id;
    IF member_id IS NULL THEN       -- already a member: idempotent
        SELECT m.id INTO member_id FROM @extschema@.team_members m
         WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
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
    -- a variable, not the function in each statement: on Citus a statement
    -- is routed to the workspace's shards only by a value
    ws       uuid := @extschema@.current_workspace();
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
        pg_catalog.concat_ws(' ', ws, upsert_contact.channel,
                             upsert_contact.external_id), 0));
    SELECT i.contact_id INTO found_id FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) ws
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
         WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
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

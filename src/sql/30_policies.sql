--------------------------------------------------------------------------
-- Row-level security: the audience policies of the core tables, and
-- conversation numbers.
--
-- Audience rules are PERMISSIVE policies, written out per table below (and
-- in the files of the concerns that own the other tables).  What every
-- table gets -- RLS enabled and forced, the RESTRICTIVE isolation policy,
-- the context, id and guard triggers, statistics targets, dump
-- registration -- is applied by one loop over the catalog at the end of
-- the script (80_row_security.sql), so a table added by any file gets it.
-- Policies read only the context (no subquery, no table lookup): Citus
-- accepts them, and they cost one call per row at most, or one per scan
-- where the workspace test is an index condition.
--------------------------------------------------------------------------

-- Conversation numbers: bump the workspace's counter under its row lock.
-- The lock serialises conversation creation per workspace until commit, and
-- a rollback undoes the bump, so numbers have no gaps and no duplicates.
CREATE FUNCTION @extschema@.allocate_conversation_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore keeps the dumped numbers; the dumped counter comes with the
    -- workspace row (see woes.restoring() for what counts as a restore)
    IF NEW.number IS NOT NULL AND @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never touch (or lock) another workspace's counter: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    UPDATE @extschema@.workspaces
       SET last_conversation_number = last_conversation_number + 1
     WHERE id OPERATOR(pg_catalog.=) NEW.workspace_id
    RETURNING last_conversation_number INTO NEW.number;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.allocate_conversation_number() IS
    'Internal trigger: gives a new conversation the next gap-free number of its workspace';

CREATE TRIGGER allocate_number BEFORE INSERT ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.allocate_conversation_number();

-- The audience rules.  Shorthands used below:
--   A := @extschema@.current_audience(), actor := @extschema@.current_actor()

-- workspaces: everyone in the workspace reads it; admins rename/configure it
CREATE POLICY workspaces_read ON @extschema@.workspaces FOR SELECT
    USING (@extschema@.current_audience() IS NOT NULL);
CREATE POLICY workspaces_admin_update ON @extschema@.workspaces FOR UPDATE
    USING (@extschema@.in_audience('{admin}'));

-- contacts and identities: a customer sees itself; staff see everyone
CREATE POLICY contacts_customer_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY contacts_staff_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY contacts_staff_insert ON @extschema@.contacts FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY contacts_staff_update ON @extschema@.contacts FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY contacts_admin_delete ON @extschema@.contacts FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

CREATE POLICY identities_customer_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY identities_staff_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY identities_staff_insert ON @extschema@.identities FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY identities_staff_update ON @extschema@.identities FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
-- operators delete identities too: erasure (woes.erase_contact) runs as them
CREATE POLICY identities_staff_delete ON @extschema@.identities FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));

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
            $p$, t);
    END LOOP;
END;
$$;

-- conversations: a customer sees and starts its own; staff and analysts see
-- all; agents and operators work them; only admins delete
CREATE POLICY conversations_customer_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY conversations_staff_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
CREATE POLICY conversations_customer_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY conversations_staff_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY conversations_staff_update ON @extschema@.conversations FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY conversations_admin_delete ON @extschema@.conversations FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- participants: staff only
CREATE POLICY participants_staff_read ON @extschema@.participants FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_staff_insert ON @extschema@.participants FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_staff_update ON @extschema@.participants FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_admin_delete ON @extschema@.participants FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- messages: the visibility matrix.  A customer reads the public messages of
-- its own conversations; an agent reads public messages and what it wrote
-- itself; operators and admins read everything; analysts read no bodies.
CREATE POLICY messages_read ON @extschema@.messages FOR SELECT
    USING (@extschema@.can_see(@extschema@.current_audience(), visibility,
                               author_id OPERATOR(pg_catalog.=) @extschema@.current_actor())
           AND (@extschema@.in_audience('{agent,operator,analyst,admin}')
                OR contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
CREATE POLICY messages_customer_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND author_kind OPERATOR(pg_catalog.=) 'customer'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND visibility OPERATOR(@extschema@.=) 'public');
CREATE POLICY messages_agent_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent}')
                AND author_kind OPERATOR(pg_catalog.=) 'agent'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY messages_staff_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY messages_staff_update ON @extschema@.messages FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY messages_admin_delete ON @extschema@.messages FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- role bindings: admins read them; woes.bind_role() writes them
CREATE POLICY role_bindings_admin_read ON @extschema@.role_bindings FOR SELECT
    USING (@extschema@.in_audience('{admin}'));


--------------------------------------------------------------------------
-- Row-level security.
--
-- Every table: RLS enabled and forced (the owner too), and a statement
-- trigger that refuses writes without a context.  Every workspace table: a
-- RESTRICTIVE isolation policy (so no permissive policy added later can
-- widen it), a row trigger freezing its key columns, and registration for
-- pg_dump.  These are applied by one loop over the catalog, so a new table
-- cannot be forgotten; woes.doctor() and the pgTAP suite check the result.
--
-- Audience rules are PERMISSIVE policies, written out per table below.
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

DO $$
DECLARE
    t       record;
    frozen  text[];
    key     text;
BEGIN
    FOR t IN
        SELECT c.oid, c.relname
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE @extschema@.%I FORCE ROW LEVEL SECURITY', t.relname);

        IF t.relname = 'channels' THEN
            -- global lookup data: readable by all, written by the owner only
            CREATE POLICY channels_read ON @extschema@.channels FOR SELECT USING (true);
            PERFORM pg_catalog.pg_extension_config_dump('@extschema@.channels', 'WHERE NOT builtin');
            CONTINUE;
        END IF;

        key := CASE t.relname WHEN 'workspaces' THEN 'id' ELSE 'workspace_id' END;
        EXECUTE format(
            'CREATE POLICY workspace_isolation ON @extschema@.%I AS RESTRICTIVE FOR ALL'
            ' USING (%I OPERATOR(pg_catalog.=) @extschema@.current_workspace())'
            ' WITH CHECK (@extschema@.in_workspace(%I))', t.relname, key, key);
        EXECUTE format(
            'COMMENT ON POLICY workspace_isolation ON @extschema@.%I IS %L', t.relname,
            'Restrictive: only rows of the context''s workspace are visible or writable');

        -- workspaces are created by woes.create_workspace() without a context
        EXECUTE format(
            'CREATE TRIGGER require_context BEFORE %s ON @extschema@.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_context()',
            CASE t.relname WHEN 'workspaces' THEN 'UPDATE OR DELETE'
                           ELSE 'INSERT OR UPDATE OR DELETE' END,
            t.relname);

        -- frozen: the primary key, created_at, (conversations) number and
        -- (messages) authorship
        SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) INTO frozen
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND NOT a.attisdropped
           AND (a.attnum OPERATOR(pg_catalog.=) ANY (
                    SELECT pg_catalog.unnest(conkey) FROM pg_catalog.pg_constraint
                     WHERE conrelid OPERATOR(pg_catalog.=) t.oid
                       AND contype OPERATOR(pg_catalog.=) 'p')
                OR a.attname OPERATOR(pg_catalog.=) ANY ('{created_at,number,author_kind,author_id}'));
        EXECUTE format(
            'CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.%I'
            ' FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update(%s)',
            t.relname,
            (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(f), ', ') FROM pg_catalog.unnest(frozen) f));

        -- ids: made by woes, never by the writer (woes.assign_id); named to
        -- fire before every other BEFORE INSERT trigger, so they see the id
        IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attname OPERATOR(pg_catalog.=) 'id'
                      AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.uuid'::pg_catalog.regtype) THEN
            EXECUTE format(
                'CREATE TRIGGER _assign_id BEFORE INSERT ON @extschema@.%I'
                ' FOR EACH ROW EXECUTE FUNCTION @extschema@.assign_id()', t.relname);
        END IF;

        -- free text stays out of the planner's value statistics: text
        -- equality is leakproof, so with most-common values of every
        -- workspace in pg_statistic, EXPLAIN's estimate for a guessed text
        -- would tell whether another workspace wrote it.  Every text, jsonb
        -- and array column is free text except the few that hold one of a
        -- fixed set of names (channel, kinds).
        FOR key IN
            SELECT a.attname FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attnum OPERATOR(pg_catalog.>) 0
               AND NOT a.attisdropped
               AND (a.atttypid OPERATOR(pg_catalog.=) ANY ('{text,jsonb,json}'::pg_catalog.regtype[])
                    OR (SELECT ty.typcategory FROM pg_catalog.pg_type ty
                         WHERE ty.oid OPERATOR(pg_catalog.=) a.atttypid) OPERATOR(pg_catalog.=) 'A')
               AND NOT a.attname OPERATOR(pg_catalog.=) ANY ('{channel,channels,kind,author_kind,actor_kind}')
        LOOP
            EXECUTE format('ALTER TABLE @extschema@.%I ALTER COLUMN %I SET STATISTICS 0', t.relname, key);
        END LOOP;

        PERFORM pg_catalog.pg_extension_config_dump(t.oid::regclass, '');
        -- and the sequences its columns draw from (identity and serial)
        PERFORM pg_catalog.pg_extension_config_dump(d.objid::regclass, '')
           FROM pg_catalog.pg_depend d
          WHERE d.refobjid OPERATOR(pg_catalog.=) t.oid
            AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
            AND d.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}')
            AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.objid)
                OPERATOR(pg_catalog.=) 'S';
    END LOOP;
END;
$$;

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
CREATE POLICY identities_admin_delete ON @extschema@.identities FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

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

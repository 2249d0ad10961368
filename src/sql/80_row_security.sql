--------------------------------------------------------------------------
-- What every table of schema woes gets, applied last, over the catalog, so
-- that a table created by any file above is covered and none can be
-- forgotten:
--
-- every table: row-level security enabled and forced (the owner too);
-- every workspace table: a RESTRICTIVE isolation policy (so no permissive
-- policy added later can widen it), the same workspace test folded into
-- every permissive woes policy (Citus creates a table's policies on its
-- shards as permissive ones, dropping AS RESTRICTIVE, and woes.distribute()
-- drops the restrictive policy there: each policy must isolate on its
-- own), a statement trigger that refuses
-- writes without a context, the id trigger (ids are made by woes),
-- statistics target 0 for free text, and registration for pg_dump.
-- woes.doctor() and the pgTAP suite check the result.
--
-- The row trigger freezing a table's key columns (guard_update) is
-- declared with the table, naming its columns; here every workspace table
-- is checked to have one, and the install fails naming a table without.
--
-- Every policy woes creates has a COMMENT that starts 'Defined by woes.':
-- that is how the C code tells woes's own policies from a DBA's (the
-- intake writes a message row directly only where every policy that could
-- judge its INSERT is woes's own; see policy_is_woes_own in policies.c).
-- PostgreSQL records no extension membership for policies, and the
-- comment, unlike a name, survives a rename and is lost by a policy
-- dropped and created again.
--------------------------------------------------------------------------

DO $$
DECLARE
    t       record;
    p       record;
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
            COMMENT ON POLICY channels_read ON @extschema@.channels IS
                'Defined by woes. Channels are global lookup data: readable by all, written by the owner only';
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
            'Defined by woes. Restrictive: only rows of the context''s workspace are visible or writable');

        -- the workspace test inside every permissive woes policy: rows it
        -- admits (USING) and rows it lets be written (WITH CHECK, which
        -- raises WO002 for another workspace's row)
        FOR p IN
            SELECT pol.polname, pol.polcmd,
                   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
              FROM pg_catalog.pg_policy pol
             WHERE pol.polrelid OPERATOR(pg_catalog.=) t.oid AND pol.polpermissive
               AND pg_catalog.obj_description(pol.oid, 'pg_policy') LIKE 'Defined by woes.%'
        LOOP
            EXECUTE format('ALTER POLICY %I ON @extschema@.%I%s%s', p.polname, t.relname,
                CASE WHEN p.qual IS NOT NULL THEN
                    format(' USING (%I OPERATOR(pg_catalog.=) @extschema@.current_workspace() AND (%s))', key, p.qual)
                ELSE '' END,
                CASE WHEN p.polcmd OPERATOR(pg_catalog.<>) ALL ('{r,d}'::"char"[]) THEN
                    format(' WITH CHECK (@extschema@.in_workspace(%I) AND (%s))', key, coalesce(p.chk, p.qual))
                ELSE '' END);
        END LOOP;

        -- workspaces are created by woes.create_workspace() without a context
        EXECUTE format(
            'CREATE TRIGGER require_context BEFORE %s ON @extschema@.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_context()',
            CASE t.relname WHEN 'workspaces' THEN 'UPDATE OR DELETE'
                           ELSE 'INSERT OR UPDATE OR DELETE' END,
            t.relname);

        -- frozen columns: declared with the table (a BEFORE UPDATE row
        -- trigger guard_update calling woes.guard_update with the primary
        -- key, created_at and whatever else must never change)
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger g
                        WHERE g.tgrelid OPERATOR(pg_catalog.=) t.oid
                          AND g.tgname OPERATOR(pg_catalog.=) 'guard_update'
                          AND g.tgfoid OPERATOR(pg_catalog.=) '@extschema@.guard_update()'::pg_catalog.regprocedure
                          -- FOR EACH ROW (1), BEFORE (2), UPDATE (16)
                          AND (g.tgtype::pg_catalog.int4 OPERATOR(pg_catalog.&) 19) OPERATOR(pg_catalog.=) 19) THEN
            RAISE EXCEPTION 'table @extschema@.% has no guard_update trigger', t.relname
                USING HINT = 'Declare it with the table: CREATE TRIGGER guard_update BEFORE UPDATE ON the table'
                             ' FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update(''<frozen column>'', ...).';
        END IF;

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

-- Last, over every policy woes created above: woes.stamp_policy writes its
-- fingerprint (see woes.policy_fingerprint) at the end of its comment, after the
-- words 'woes fingerprint: ' on a line of their own.  The C code takes a
-- policy for woes's own only while it matches the fingerprint
-- (policy_is_woes_own in src/policies.c), so an ALTER POLICY that rewrites
-- one, which keeps the comment, sends the direct paths to the statements.
-- A policy that has a fingerprint line already is left as it is.
DO $$
DECLARE
    p   record;
BEGIN
    FOR p IN
        SELECT pol.polrelid::pg_catalog.regclass AS tbl, pol.polname
          FROM pg_catalog.pg_policy pol
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pol.polrelid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND pg_catalog.obj_description(pol.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND pg_catalog.obj_description(pol.oid, 'pg_policy') NOT LIKE E'%\nwoes fingerprint: %'
    LOOP
        PERFORM @extschema@.stamp_policy(p.tbl, p.polname);
    END LOOP;
END;
$$;

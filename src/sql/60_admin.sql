
--------------------------------------------------------------------------
-- Administration: role bindings and the self-check.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.role_bindings (
    workspace_id uuid NOT NULL REFERENCES @extschema@.workspaces (id),
    role_name   name NOT NULL,
    audience    @extschema@.audience NOT NULL,
    actor       uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, role_name)
);
COMMENT ON TABLE @extschema@.role_bindings IS
    'Roles whose sessions get a default context (see woes.bind_role); one binding per role';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.role_bindings
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'role_name', 'created_at');

-- role bindings: admins read them; woes.bind_role() writes them
CREATE POLICY role_bindings_admin_read ON @extschema@.role_bindings FOR SELECT
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY role_bindings_admin_read ON @extschema@.role_bindings IS
    'Defined by woes. Admins read role bindings; woes.bind_role() writes them';

-- Internal: at commit, end every other session of a role in this database
-- (src/bindings.c): a binding is read when a session starts, so one that
-- changes reaches the role's open sessions only by their reconnecting.
CREATE FUNCTION @extschema@.end_sessions_at_commit(role regrole) RETURNS void
    AS 'MODULE_PATHNAME', 'woes_end_sessions_at_commit'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.end_sessions_at_commit(regrole) IS
    'Internal: when this transaction commits, end every other session of the role in this database (bind_role and unbind_role call it)';

CREATE FUNCTION @extschema@.bind_role(role regrole, workspace uuid, audience @extschema@.audience,
                                      actor uuid DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r pg_catalog.pg_roles;
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
BEGIN
    -- SECURITY DEFINER: writing per-role defaults of superuser-only settings
    -- (ALTER ROLE ... SET) needs the owner's rights.  EXECUTE: woes_admin only.
    IF bind_role.role IS NULL OR bind_role.workspace IS NULL OR bind_role.audience IS NULL THEN
        RAISE EXCEPTION 'role, workspace and audience must not be null' USING ERRCODE = 'WO007';
    END IF;
    SELECT * INTO r FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) bind_role.role;
    IF r.rolsuper OR r.rolbypassrls THEN
        RAISE EXCEPTION 'role "%" bypasses row-level security and cannot be bound', r.rolname
            USING ERRCODE = 'WO007', HINT = 'Bind a role without SUPERUSER and BYPASSRLS.';
    END IF;
    IF r.rolname OPERATOR(pg_catalog.=) ANY ('{woes_service,woes_admin,woes_analyst}') THEN
        RAISE EXCEPTION 'the group role "%" cannot be bound', r.rolname
            USING ERRCODE = 'WO007', HINT = 'Bind a login role (a member of the group) instead.';
    END IF;
    -- a binding is a per-role default, so it reaches every session of the
    -- role: bound, a pooled application role would give every transaction
    -- of every client that forgot its context this workspace and audience
    IF pg_catalog.pg_has_role(bind_role.role, 'woes_service', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" is a member of woes_service and cannot be bound', r.rolname
            USING ERRCODE = 'WO003',
                  DETAIL = 'A binding would give every transaction of the application, and of every client sharing its pooled connections, a default context.',
                  HINT = 'Applications set the context in each transaction; bind a separate login role for BI tools and people.';
    END IF;
    IF bind_role.audience OPERATOR(@extschema@.=) 'admin'
       AND NOT pg_catalog.pg_has_role(bind_role.role, 'woes_admin', 'USAGE') THEN
        RAISE EXCEPTION 'only members of woes_admin can be bound to the admin audience'
            USING ERRCODE = 'WO003';
    END IF;
    -- the workspace exists; the actor is one of it, of the audience's kind
    PERFORM @extschema@.check_context(bind_role.workspace, bind_role.audience, bind_role.actor);

    -- one binding per role: it is one set of per-role defaults.  Writing
    -- role_bindings needs a context: act, for this call, as the admin of
    -- each workspace touched (the caller's context is restored after).
    PERFORM @extschema@.unbind_role(bind_role.role);
    PERFORM @extschema@.switch_context(bind_role.workspace::text, 'admin', '');
    INSERT INTO @extschema@.role_bindings (workspace_id, role_name, audience, actor)
    VALUES (bind_role.workspace, r.rolname, bind_role.audience, bind_role.actor);
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    -- per role in this database only: the binding (and its workspace) lives here
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.workspace = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.workspace);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.audience = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.audience);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.actor = %L',
                   r.rolname, pg_catalog.current_database(), coalesce(bind_role.actor::text, ''));
    -- the role's open sessions have the old defaults, or none: ended at commit
    PERFORM @extschema@.end_sessions_at_commit(bind_role.role);
END;
$$;
COMMENT ON FUNCTION @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid) IS
    'Give every session of role in this database this context by default (for BI tools and psql); the role''s open sessions are ended when this commits; woes_admin only';

CREATE FUNCTION @extschema@.unbind_role(role regrole) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rolname name := (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) unbind_role.role);
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
    ws uuid;
    found_any boolean := false;
BEGIN
    IF rolname IS NULL THEN
        RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- such a role can never be bound; refused here too, so that unbinding
    -- (which ends the role's sessions) cannot reach past what binding can
    IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
         WHERE r.oid OPERATOR(pg_catalog.=) unbind_role.role) THEN
        RAISE EXCEPTION 'role "%" bypasses row-level security and cannot be bound', rolname
            USING ERRCODE = 'WO007';
    END IF;
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.workspace', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.audience', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.actor', rolname, pg_catalog.current_database());
    -- writing role_bindings needs a context: act, for this call, as the
    -- admin of the binding's workspace (the owner sees every workspace)
    FOR ws IN SELECT b.workspace_id FROM @extschema@.role_bindings b
               WHERE b.role_name OPERATOR(pg_catalog.=) rolname
    LOOP
        PERFORM @extschema@.switch_context(ws::text, 'admin', '');
        DELETE FROM @extschema@.role_bindings b
         WHERE b.workspace_id OPERATOR(pg_catalog.=) ws
           AND b.role_name OPERATOR(pg_catalog.=) rolname;
        found_any := true;
    END LOOP;
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    -- the role's open sessions still have the old defaults: ended at commit
    IF found_any THEN
        PERFORM @extschema@.end_sessions_at_commit(unbind_role.role);
    END IF;
    RETURN found_any;
END;
$$;
COMMENT ON FUNCTION @extschema@.unbind_role(regrole) IS
    'Remove a role''s default context (its open sessions are ended when this commits); returns whether it had one; woes_admin only';

CREATE FUNCTION @extschema@.reapply_role_bindings() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- SECURITY DEFINER, like bind_role.  After a restore into another
    -- cluster or database, woes.role_bindings is back but the per-role
    -- defaults (pg_db_role_setting) are not: this writes them again.
    -- Bindings of roles that do not exist here are skipped.
    b record;
    n integer := 0;
BEGIN
    FOR b IN SELECT rb.* FROM @extschema@.role_bindings rb
              JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) rb.role_name
    LOOP
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.workspace = %L',
                       b.role_name, pg_catalog.current_database(), b.workspace_id);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.audience = %L',
                       b.role_name, pg_catalog.current_database(), b.audience);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.actor = %L',
                       b.role_name, pg_catalog.current_database(), coalesce(b.actor::text, ''));
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.reapply_role_bindings() IS
    'After a restore: write the per-role default context of every role in woes.role_bindings again (pg_dump does not carry role settings); returns how many; woes_admin only';

-- On Citus (see woes.distribute()): the woes tables Citus has, and what is
-- wrong on their shards.  PL/pgSQL, so that a database without Citus (no
-- pg_dist_partition) can have them too.
CREATE FUNCTION @extschema@.citus_tables() RETURNS SETOF regclass
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE
            'SELECT d.logicalrelid FROM pg_catalog.pg_dist_partition d
               JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
              WHERE c.relnamespace = ''@extschema@''::regnamespace';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.citus_tables() IS
    'Internal: the woes tables Citus distributes or replicates (none without Citus)';

-- Each distributed woes table whose shards have a policy that does not
-- isolate the workspace: a restrictive one (Citus makes it permissive) or
-- a permissive one without the workspace test.  Asks every shard.
CREATE FUNCTION @extschema@.shard_policy_offenders() RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE $q$
            SELECT c.relname::text || ' (' || count(*) FILTER (WHERE NOT r.success OR r.result::bigint > 0)
                   || ' of ' || count(*) || ' shards)'
              FROM pg_catalog.pg_dist_partition d
              JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
             CROSS JOIN LATERAL pg_catalog.run_command_on_shards(d.logicalrelid,
                   $c$SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = '%s'::regclass
                       AND (NOT p.polpermissive
                            OR NOT coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '')
                                   || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')
                                   ~ 'workspace_id = (woes\.)?current_workspace\(\)|in_workspace\(workspace_id\)')$c$) r
             WHERE c.relnamespace = '@extschema@'::regnamespace AND d.partmethod = 'h'
             GROUP BY c.relname
            HAVING NOT bool_and(r.success AND r.result = '0')
             ORDER BY c.relname$q$;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.shard_policy_offenders() IS
    'Internal: the distributed woes tables with a shard policy that does not isolate the workspace (none without Citus)';

-- Each Citus woes table with a column privilege of its shell that a
-- placement lacks (Citus does not carry column privileges to the shards;
-- woes.distribute() grants them there).  Asks every placement, by role
-- name (a role's OID differs between nodes).
CREATE FUNCTION @extschema@.shard_privilege_offenders() RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE $q$
            WITH want AS (
                SELECT a.attrelid::regclass AS tbl,
                       pg_catalog.format('(%L, %L, %L)', a.attname, g.grantee::regrole::text, g.privilege_type) AS v
                  FROM pg_catalog.pg_attribute a
                 CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) g
                  JOIN pg_catalog.pg_dist_partition d ON d.logicalrelid = a.attrelid
                  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                 WHERE c.relnamespace = '@extschema@'::regnamespace
                   AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
            ), tbls AS (
                SELECT tbl, string_agg(v, ', ') AS vals FROM want GROUP BY tbl
            )
            SELECT t.tbl::text || ' (' || count(*) FILTER (WHERE NOT r.success OR r.result <> '0')
                   || ' of ' || count(*) || ' placements)'
              FROM tbls t
             CROSS JOIN LATERAL pg_catalog.run_command_on_placements(t.tbl,
                   'SELECT count(*) FROM (VALUES ' || t.vals || ') v(col, grantee, priv)'
                   ' WHERE NOT pg_catalog.has_column_privilege(v.grantee, ''%s''::regclass, v.col, v.priv)') r
             GROUP BY t.tbl
            HAVING NOT bool_and(r.success AND r.result = '0')
             ORDER BY 1$q$;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.shard_privilege_offenders() IS
    'Internal: the Citus woes tables with a placement lacking a column privilege of the table (none without Citus)';

-- The digest of a policy as woes defines it (its command, permissive or
-- not, its table's count of permissive woes policies, its expressions)
-- that ends the comment of every policy woes creates (written last, over
-- them all): the C code trusts a woes policy only while it still matches,
-- so one an ALTER POLICY rewrote, or whose sibling a DBA dropped, sends the
-- direct paths to the statements (src/policies.c).
CREATE FUNCTION @extschema@.policy_fingerprint(policy oid) RETURNS text
    AS 'MODULE_PATHNAME', 'woes_policy_fingerprint_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.policy_fingerprint(oid) IS
    'Internal: the digest (SHA-256) of a policy as woes defines it (its command, permissive or not, its table''s count of permissive woes policies, its USING and WITH CHECK as pg_get_expr prints them under pinned settings) that ends the comment of every policy woes creates; the direct paths take a woes policy for woes''s own only while it matches (NULL: no such policy)';

-- Writes the fingerprint of a woes policy at the end of its comment: woes
-- vouches for the policy as it stands.  The install script calls it for
-- every policy it made; its owner (a superuser) calls it only after
-- comparing a policy woes.doctor() names (policies_as_defined) with
-- the install script, e.g. after a pg_upgrade to a major version that
-- prints an expression differently.  Never granted: COMMENT ON POLICY
-- needs the table's owner anyway.
CREATE FUNCTION @extschema@.stamp_policy(tbl regclass, policy name) RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET row_security = on
AS $$
DECLARE
    pol     oid;
    doc     text;
    digest  text;
BEGIN
    IF tbl IS NULL OR policy IS NULL THEN
        RAISE EXCEPTION 'stamp_policy needs a table and a policy' USING ERRCODE = 'WO007';
    END IF;
    -- no ALTER or DROP POLICY on the table until the stamp is written
    EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', tbl);
    SELECT p.oid, obj_description(p.oid, 'pg_policy') INTO pol, doc
      FROM pg_policy p WHERE p.polrelid = tbl AND p.polname = policy;
    IF pol IS NULL THEN
        RAISE EXCEPTION 'policy "%" of table % does not exist', policy, tbl USING ERRCODE = 'WO005';
    END IF;
    IF doc IS NULL OR doc NOT LIKE 'Defined by woes.%'
       OR (SELECT c.relnamespace FROM pg_class c WHERE c.oid = tbl) <> '@extschema@'::regnamespace THEN
        RAISE EXCEPTION 'policy "%" of table % is not one of woes''s', policy, tbl USING ERRCODE = 'WO007',
              HINT = 'woes stamps only the policies it defined, on its own tables: their comment starts ''Defined by woes.''';
    END IF;
    digest := @extschema@.policy_fingerprint(pol);
    EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', policy, tbl,
                   regexp_replace(doc, E'\nwoes fingerprint: [^\n]*$', '') || E'\nwoes fingerprint: ' || digest);
    RETURN digest;
END;
$$;
COMMENT ON FUNCTION @extschema@.stamp_policy(regclass, name) IS
    'Vouch for a woes policy as it stands: write its fingerprint (its command, permissive or not, its table''s count of permissive woes policies, its expressions) at the end of its comment, so the direct paths take it for woes''s own again (for the owner, after comparing a policy doctor() names with the install script); returns the fingerprint';

CREATE FUNCTION @extschema@.doctor(OUT "check" text, OUT ok boolean, OUT detail text)
    RETURNS SETOF record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH tables AS (
        SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
               c.relname <> 'channels' AS per_workspace
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p')
    ), funcs AS (
        SELECT p.oid, p.oid::regprocedure::text AS sig, p.proconfig, l.lanname, p.proacl, p.proowner,
               coalesce(obj_description(p.oid, 'pg_proc'), '') AS doc
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = '@extschema@'::regnamespace
    ), findings ("check", offenders) AS (
        SELECT 'rls_forced', array_agg(relname ORDER BY relname)
          FROM tables WHERE NOT (relrowsecurity AND relforcerowsecurity)
        UNION ALL
        -- (on Citus, woes.distribute() drops it: it would reach the shards
        -- as a permissive policy; shard_policies checks them instead)
        SELECT 'isolation_policy', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_policy p
                 WHERE p.polrelid = t.oid AND NOT p.polpermissive AND p.polcmd = '*'
                   AND p.polname = 'workspace_isolation')
           AND t.oid NOT IN (SELECT @extschema@.citus_tables())
        UNION ALL
        -- every woes policy isolates the workspace on its own
        SELECT 'policies_isolate', array_agg(t.relname || '.' || p.polname ORDER BY t.relname, p.polname)
          FROM tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
         WHERE t.per_workspace AND p.polpermissive
           AND obj_description(p.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND NOT coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
               ~ '(workspace_id|id) = (@extschema@\.)?current_workspace\(\)|in_workspace\((workspace_id|id)\)'
        UNION ALL
        -- every woes policy as woes defined it: for every role, and still
        -- matching the fingerprint its comment ends with (one an ALTER
        -- POLICY narrowed or rewrote, or whose sibling was dropped, sends
        -- the direct paths to the statements; see src/policies.c)
        SELECT 'policies_as_defined', array_agg(t.relname || '.' || p.polname ORDER BY t.relname, p.polname)
          FROM tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
         WHERE obj_description(p.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND (p.polroles <> '{0}'
                OR obj_description(p.oid, 'pg_policy')
                   NOT LIKE '%' || E'\nwoes fingerprint: ' || @extschema@.policy_fingerprint(p.oid))
        UNION ALL
        SELECT 'shard_policies', array_agg(o ORDER BY o) FROM @extschema@.shard_policy_offenders() o
        UNION ALL
        SELECT 'shard_privileges', array_agg(o ORDER BY o) FROM @extschema@.shard_privilege_offenders() o
        UNION ALL
        SELECT 'audience_policies', array_agg(relname ORDER BY relname)
          FROM tables t WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = t.oid AND p.polpermissive)
        UNION ALL
        SELECT 'context_trigger', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_trigger g
                 WHERE g.tgrelid = t.oid AND g.tgname = 'require_context' AND g.tgenabled <> 'D')
        UNION ALL
        SELECT 'workspace_keys', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND relname <> 'workspaces' AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                 WHERE k.conrelid = t.oid AND k.contype = 'p' AND a.attname = 'workspace_id')
        UNION ALL
        SELECT 'dump_registration', array_agg(relname ORDER BY relname)
          FROM tables t WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_extension e
                 WHERE e.extname = 'woes' AND t.oid = ANY (e.extconfig))
        UNION ALL
        SELECT 'dump_registration_sequences', array_agg(c.relname ORDER BY c.relname)
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'S'
           AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_extension e
                 WHERE e.extname = 'woes' AND c.oid = ANY (e.extconfig))
        UNION ALL
        SELECT 'search_path', array_agg(sig ORDER BY sig)
          FROM funcs WHERE lanname NOT IN ('c', 'internal')
           AND NOT coalesce(proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)
        UNION ALL
        -- the API runs with row_security on whatever the caller set (see
        -- woes.restoring()); triggers are where a restore is recognised
        SELECT 'rules_pinned', array_agg(f.sig ORDER BY f.sig)
          FROM funcs f JOIN pg_catalog.pg_proc p ON p.oid = f.oid
         WHERE f.lanname NOT IN ('c', 'internal') AND p.provolatile = 'v'
           AND p.prorettype <> 'pg_catalog.trigger'::regtype
           AND NOT coalesce(f.proconfig::text[] && ARRAY['row_security=on'], false)
        UNION ALL
        SELECT 'ids_made_by_woes', array_agg(t.relname ORDER BY t.relname)
          FROM tables t JOIN pg_catalog.pg_attribute a
            ON a.attrelid = t.oid AND a.attname = 'id' AND a.atttypid = 'pg_catalog.uuid'::regtype
         WHERE a.atthasdef OR NOT EXISTS (
                SELECT FROM pg_catalog.pg_trigger g
                 WHERE g.tgrelid = t.oid AND g.tgname = '_assign_id' AND g.tgenabled <> 'D'
                   AND g.tgfoid = '@extschema@.assign_id()'::regprocedure)
        UNION ALL
        SELECT 'free_text_statistics', array_agg(t.relname || '.' || a.attname ORDER BY t.relname, a.attname)
          FROM tables t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid
         WHERE t.per_workspace AND a.attnum > 0 AND NOT a.attisdropped
           AND (a.atttypid IN ('pg_catalog.text'::regtype, 'pg_catalog.jsonb'::regtype, 'pg_catalog.json'::regtype)
                OR (SELECT ty.typcategory FROM pg_catalog.pg_type ty WHERE ty.oid = a.atttypid) = 'A')
           AND NOT a.attname = ANY ('{channel,channels,kind,author_kind,actor_kind}')
           AND a.attstattarget IS DISTINCT FROM 0
        UNION ALL
        SELECT 'internal_not_public', array_agg(sig ORDER BY sig)
          FROM funcs WHERE doc LIKE 'Internal%'
           AND (proacl IS NULL OR EXISTS (
                SELECT FROM aclexplode(proacl) x WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'))
        UNION ALL
        SELECT 'schema_create', array_agg(DISTINCT coalesce(r.rolname, 'PUBLIC'))
          FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) x
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
         WHERE n.oid = '@extschema@'::regnamespace AND x.privilege_type = 'CREATE'
           AND x.grantee <> n.nspowner
        UNION ALL
        SELECT 'no_truncate', array_agg(DISTINCT t.relname || ' to ' || coalesce(r.rolname, 'PUBLIC'))
          FROM tables t JOIN pg_catalog.pg_class c ON c.oid = t.oid, aclexplode(c.relacl) x
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
         WHERE x.privilege_type = 'TRUNCATE' AND x.grantee <> c.relowner
        UNION ALL
        SELECT 'views_security_invoker', array_agg(c.relname ORDER BY c.relname)
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'v'
           AND NOT coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on'], false)
    )
    SELECT f."check", f.offenders IS NULL,
           CASE WHEN f.offenders IS NULL THEN 'ok'
                ELSE array_to_string(f.offenders, ', ') END
      FROM findings f
$$;
COMMENT ON FUNCTION @extschema@.doctor() IS
    'Self-check: one row per safety check (forced RLS, isolation policies, context triggers, pinned search_path and row_security, ids made by woes, free text out of statistics, dump registration, privileges); ok = false names the offenders';

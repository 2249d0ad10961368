
--------------------------------------------------------------------------
-- Scale-out: woes.distribute() turns the tables of a fresh install into a
-- Citus layout, once, on the coordinator.  Global lookup data (channels)
-- and the tenants (workspaces) become reference tables, a copy on every
-- node; every other table is distributed by workspace_id, all colocated,
-- so everything a workspace has lives in one shard group on one worker and
-- every woes statement of one workspace is routed there.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.distribute() RETURNS TABLE (step text, detail text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t           record;
    done        text[] := '{}';
    todo        text[];
    ready       text[];
    anchor      text;
    fresh       boolean := false;
    offenders   text[];
    failures    bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'WO501',
                  HINT = 'Run CREATE EXTENSION citus and add the workers first; woes.distribute() runs on the coordinator.';
    END IF;
    IF NOT (SELECT citus_is_coordinator()) THEN
        RAISE EXCEPTION 'woes.distribute() runs on the Citus coordinator'
            USING ERRCODE = 'WO501', HINT = 'Connect to the coordinator and call it there.';
    END IF;

    -- woes's tables carry triggers (Citus creates them on the shards only
    -- with this), and the reference tables are referenced by tables that
    -- are still local while the order below is worked through
    SET LOCAL citus.enable_unsafe_triggers = on;
    SET LOCAL citus.enable_local_reference_table_foreign_keys = off;

    -- The rows a database has already are copied into the new shards, where
    -- woes's triggers fire: they must take them as a restore does, exactly
    -- as they are (ids, numbers, no new history, no context needed), which
    -- is what row security off means for a superuser (woes.restoring()).
    -- The copies run on the workers, so the setting must reach them: Citus
    -- forwards a SET LOCAL only from a multi-statement context, a DO block
    -- is one.  Set back on at the end, there too.
    SET LOCAL citus.propagate_set_commands = local;
    EXECUTE 'DO $r$ BEGIN SET LOCAL row_security = off; END $r$';

    -- Citus creates a table's policies on its shards as permissive ones:
    -- the restrictive isolation policy would widen every audience to the
    -- whole workspace there.  Every woes policy carries the workspace test
    -- itself (80_row_security), so the restrictive one goes, before any
    -- shard exists.
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
         WHERE c.relnamespace = '@extschema@'::regnamespace AND p.polname = 'workspace_isolation'
           AND NOT p.polpermissive
           AND NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)
         ORDER BY 1
    LOOP
        EXECUTE format('DROP POLICY workspace_isolation ON @extschema@.%I', t.relname);
        step := 'policy'; detail := format('dropped the restrictive workspace_isolation of %s', t.relname);
        RETURN NEXT;
    END LOOP;

    -- reference tables
    FOREACH anchor IN ARRAY ARRAY['channels', 'workspaces'] LOOP
        IF NOT EXISTS (SELECT FROM pg_dist_partition
                        WHERE logicalrelid = format('@extschema@.%I', anchor)::regclass) THEN
            PERFORM create_reference_table(format('@extschema@.%I', anchor)::regclass);
            fresh := true;
            step := 'reference'; detail := anchor;
            RETURN NEXT;
        END IF;
        done := done || anchor;
    END LOOP;

    -- distributed tables, each after the tables its foreign keys point to,
    -- all colocated with the first
    SELECT array_agg(c.relname::text ORDER BY c.relname) INTO todo
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
       AND c.relname <> ALL (done);
    SELECT min(c.relname) INTO anchor
      FROM pg_dist_partition d JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
     WHERE c.relnamespace = '@extschema@'::regnamespace AND d.partmethod = 'h';
    WHILE cardinality(todo) > 0 LOOP
        SELECT array_agg(x ORDER BY x) INTO ready
          FROM unnest(todo) x
         WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_constraint k
                  JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
                 WHERE k.conrelid = format('@extschema@.%I', x)::regclass AND k.contype = 'f'
                   AND r.relname <> x AND r.relname <> ALL (done));
        IF ready IS NULL THEN
            RAISE EXCEPTION 'the foreign keys of woes tables % form a cycle', todo;
        END IF;
        FOREACH t.relname IN ARRAY ready LOOP
            IF NOT EXISTS (SELECT FROM pg_dist_partition
                            WHERE logicalrelid = format('@extschema@.%I', t.relname)::regclass) THEN
                PERFORM create_distributed_table(format('@extschema@.%I', t.relname)::regclass, 'workspace_id',
                                                 colocate_with => CASE WHEN anchor IS NULL THEN 'default'
                                                                      ELSE format('@extschema@.%I', anchor) END);
                fresh := true;
                step := 'distributed'; detail := t.relname;
                RETURN NEXT;
            END IF;
            anchor := coalesce(anchor, t.relname);
            done := done || t.relname::text;
        END LOOP;
        todo := ARRAY(SELECT x FROM unnest(todo) x WHERE x <> ALL (done));
    END LOOP;

    -- API calls that run whole on the tenant's worker: every woes function
    -- whose last argument is "workspace uuid" (see woes_forward_call in
    -- shards.c) is a distributed function by it, colocated with the tables
    -- and force-delegated, so that Citus sends a call inside a transaction
    -- block too
    FOR t IN
        SELECT p.oid::regprocedure AS fn
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = '@extschema@'::regnamespace AND p.pronargs > 0
           AND p.proargnames[p.pronargs] = 'workspace'
           AND p.proargtypes[p.pronargs - 1] = 'pg_catalog.uuid'::regtype
           AND NOT EXISTS (SELECT FROM pg_dist_object o
                            WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = p.oid
                              AND o.distribution_argument_index IS NOT NULL)
         ORDER BY 1
    LOOP
        PERFORM create_distributed_function(t.fn::regprocedure, 'workspace',
                                            colocate_with => '@extschema@.conversations',
                                            force_delegation => true);
        step := 'function'; detail := format('%s runs on the worker of its workspace', t.fn);
        RETURN NEXT;
    END LOOP;

    -- Column-level privileges (the analyst's on conversations, the admin's
    -- on workspaces): Citus does not carry them to the shards, nor take a
    -- column GRANT on a distributed table, so they are granted on every
    -- placement here -- once the shards are committed: a placement made in
    -- this transaction is not visible to the connections that would grant.
    -- So the first call says to call again; shards made later (a
    -- rebalance, a split) get them when it runs again too.
    FOR t IN
        SELECT a.attrelid::regclass AS tbl, g.privilege_type AS priv, g.grantee::regrole AS grantee,
               string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
          FROM pg_catalog.pg_attribute a
          CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) g
          JOIN pg_dist_partition d ON d.logicalrelid = a.attrelid
         WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
           AND (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid) = '@extschema@'::regnamespace
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
    LOOP
        IF fresh THEN
            step := 'privileges';
            detail := format('%s (%s) on the shards of %s to %s: call woes.distribute() again after this commits',
                             t.priv, t.cols, t.tbl, t.grantee);
        ELSE
            SELECT count(*) FILTER (WHERE NOT r.success) INTO failures
              FROM run_command_on_placements(t.tbl,
                     format('GRANT %s (%s) ON %%s TO %I', t.priv, t.cols, t.grantee::text)) r;
            IF failures > 0 THEN
                RAISE EXCEPTION 'could not grant % (%) on % shards of %', t.priv, t.cols, failures, t.tbl
                    USING ERRCODE = 'WO501';
            END IF;
            step := 'privileges'; detail := format('%s (%s) on the shards of %s to %s', t.priv, t.cols, t.tbl, t.grantee);
        END IF;
        RETURN NEXT;
    END LOOP;

    -- Analysts read the views of woes_bi, which are security_invoker: on
    -- Citus their shard queries name the shards, in schema woes, on every
    -- node (the coordinator holds the reference tables' placements), as the
    -- analyst.  So on a cluster analysts need USAGE on woes after all; what
    -- they read there is still what their table and column grants and the
    -- policies allow (no subject, no message).
    EXECUTE 'GRANT USAGE ON SCHEMA @extschema@ TO woes_analyst';
    PERFORM run_command_on_workers('GRANT USAGE ON SCHEMA @extschema@ TO woes_analyst');
    step := 'privileges';
    detail := 'USAGE on schema woes to woes_analyst on every node (the shard queries of woes_bi name the shards)';
    RETURN NEXT;

    -- The ids the triggers draw on a worker (events, status and handoff
    -- history) come from that node's copy of the sequences, which CREATE
    -- EXTENSION made on every node starting at 1: each node gets a range of
    -- its own, as Citus gives the sequences it makes (the node's group id in
    -- the top 16 bits), so ids never collide between nodes.  Again after a
    -- node is added.
    PERFORM run_command_on_all_nodes($cmd$
        DO $range$
        DECLARE
            s    regclass;
            base bigint := (SELECT groupid FROM pg_catalog.pg_dist_local_group)::bigint << 48;
        BEGIN
            FOR s IN SELECT format('%I.%I', q.schemaname, q.sequencename)::regclass
                       FROM pg_catalog.pg_sequences q WHERE q.schemaname = '@extschema@'
            LOOP
                IF coalesce(pg_catalog.pg_sequence_last_value(s), 0) < base THEN
                    PERFORM pg_catalog.setval(s, base + 1, false);
                END IF;
            END LOOP;
        END;
        $range$
    $cmd$);
    step := 'sequences'; detail := 'a range of ids per node (group id << 48)';
    RETURN NEXT;

    EXECUTE 'DO $r$ BEGIN SET LOCAL row_security = on; END $r$';

    -- NOTIFY cannot be part of a transaction that Citus commits on several
    -- nodes: consumers poll the outbox.  A database setting is not carried
    -- to the workers, so it is set on each.
    EXECUTE format('ALTER DATABASE %I SET woes.notify = off', current_database());
    PERFORM run_command_on_workers(format('ALTER DATABASE %I SET woes.notify = off', current_database()));
    step := 'setting'; detail := 'woes.notify = off on every node';
    RETURN NEXT;

    -- The reference tables (channels, workspaces) are written through the
    -- coordinator only (create_workspace, an admin's UPDATE of its
    -- workspace's name and settings; no API call on a worker writes them).
    -- Otherwise Citus serialises each such write by locking the shard on
    -- the first worker, as the caller, with lock_shard_resources(), which
    -- demands UPDATE on the whole table: an admin, who may UPDATE only
    -- (name, settings), got "permission denied for table workspaces".
    -- With this, that remote lock is not taken (the coordinator's own lock
    -- serialises the writes), and a worker refuses to write a reference
    -- table.  Set on every node, like woes.notify.
    EXECUTE format('ALTER DATABASE %I SET citus.allow_modifications_from_workers_to_replicated_tables = off',
                   current_database());
    PERFORM run_command_on_workers(
        format('ALTER DATABASE %I SET citus.allow_modifications_from_workers_to_replicated_tables = off',
               current_database()));
    step := 'setting';
    detail := 'citus.allow_modifications_from_workers_to_replicated_tables = off on every node (reference tables are written through the coordinator)';
    RETURN NEXT;

    -- the context is a set of settings: Citus forwards a SET LOCAL of them
    -- to the workers only with this
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = local', current_database());
    step := 'setting'; detail := 'citus.propagate_set_commands = local (SET LOCAL of the context reaches the workers)';
    RETURN NEXT;

    -- The result, on the shards themselves: every policy of every shard
    -- isolates the workspace.  Shards made by this call are not visible to
    -- the connections that would ask them until it commits: then
    -- woes.doctor() (shard_policies) asks.
    IF fresh THEN
        step := 'check'; detail := 'after commit, woes.doctor() checks the policies on every shard';
        RETURN NEXT;
    ELSE
        SELECT array_agg(o) INTO offenders FROM @extschema@.shard_policy_offenders() o;
        IF offenders IS NOT NULL THEN
            RAISE EXCEPTION 'shard policies that do not isolate the workspace: %', array_to_string(offenders, ', ')
                USING ERRCODE = 'WO501';
        END IF;
        step := 'checked'; detail := format('%s shards of %s tables; every policy isolates the workspace',
            (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid IN (SELECT @extschema@.citus_tables())),
            (SELECT count(*) FROM @extschema@.citus_tables()));
        RETURN NEXT;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.distribute() IS
    'Distribute woes''s tables on a Citus coordinator (once, after CREATE EXTENSION; idempotent): channels and workspaces as reference tables, every other table by workspace_id, colocated; checks the shards';

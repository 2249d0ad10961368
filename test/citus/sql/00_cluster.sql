-- The cluster itself (test/citus/cluster): Citus 12.1, a coordinator and two
-- active workers, and a distributed table that routes a row to one worker's
-- shard and reads it back.
SELECT citus_version() LIKE 'Citus 12.1%' AS citus_12_1;
-- the coordinator is in group 0 and holds no shards; the workers are active
SELECT groupid = 0 AS coordinator, nodename, nodeport, isactive, noderole, shouldhaveshards
  FROM pg_dist_node ORDER BY nodeport;
SELECT count(*) AS active_workers FROM citus_get_active_worker_nodes();
CREATE TABLE citus_smoke (tenant int, id int, note text, PRIMARY KEY (tenant, id));
SELECT create_distributed_table('citus_smoke', 'tenant');
-- its shards are spread over both workers, none on the coordinator
SELECT n.nodeport, count(*) > 0 AS has_shards
  FROM pg_dist_shard s JOIN pg_dist_placement p USING (shardid) JOIN pg_dist_node n USING (groupid)
 WHERE s.logicalrelid = 'citus_smoke'::regclass GROUP BY n.nodeport ORDER BY n.nodeport;
INSERT INTO citus_smoke VALUES (42, 1, 'hello from tenant 42');
SELECT tenant, id, note FROM citus_smoke WHERE tenant = 42;
SELECT count(*) FROM citus_smoke;
-- the row is in exactly one shard, the one the hash of 42 routes to, on a worker
SELECT p.shardid = get_shard_id_for_distribution_column('citus_smoke', 42) AS routed_by_hash,
       p.nodeport IN (9701, 9702) AS on_a_worker, p.result AS rows
  FROM run_command_on_placements('citus_smoke', 'SELECT count(*) FROM %s') p
 WHERE p.result <> '0';
-- a read by tenant is planned as one task (router)
DO $$
DECLARE
    line text;
    tasks text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (COSTS OFF) SELECT note FROM citus_smoke WHERE tenant = 42' LOOP
        IF line ~ 'Task Count:' THEN tasks := btrim(line); END IF;
    END LOOP;
    RAISE NOTICE 'read by tenant: %', tasks;
END
$$;
DROP TABLE citus_smoke;
-- gone from the coordinator and from the workers (its shards)
SELECT to_regclass('citus_smoke') IS NULL AS dropped;
SELECT count(*) AS worker_tables_left
  FROM run_command_on_workers($$SELECT count(*) FROM pg_class WHERE relname LIKE 'citus_smoke%'$$)
 WHERE result <> '0';

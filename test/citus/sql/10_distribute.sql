-- woes.distribute() on the coordinator: the layout, idempotence, and the
-- check of every shard's policies (woes.doctor()).  What the README's
-- "Scaling Out" shows is exactly this.
\set VERBOSITY terse
SET client_min_messages = warning;
CREATE EXTENSION woes;
-- a database that has been in use: its rows are copied into the shards as
-- they are (ids, numbers, history; the triggers take the copy as a restore)
CREATE ROLE early LOGIN IN ROLE woes_service;
SELECT woes.create_workspace('early', 'Early') AS early \gset
SET ROLE early;
BEGIN;
SELECT woes.set_context(:'early', 'operator');
SELECT woes.add_operator('Eve', 'eve@early.test') AS eve \gset
SELECT woes.receive_message('live_chat', 'e-1', 'visitor-e', 'before the cluster', 'e-m1') IS NOT NULL AS received;
SELECT woes.resolve((SELECT id FROM woes.conversations), 'answered');
COMMIT;
RESET ROLE;
CREATE TABLE before_distribution AS
SELECT (SELECT string_agg(id::text || kind, ',' ORDER BY id) FROM woes.events) AS events,
       (SELECT string_agg(id::text || to_status::text, ',' ORDER BY id) FROM woes.status_events) AS history,
       (SELECT string_agg(id::text || body, ',' ORDER BY id) FROM woes.messages) AS messages,
       (SELECT string_agg(id::text || number || status::text, ',' ORDER BY id) FROM woes.conversations) AS conversations;
-- before: every table is local, every restrictive isolation policy there
SELECT count(*) AS citus_tables FROM woes.citus_tables();
SELECT * FROM woes.distribute() WHERE step <> 'policy' ORDER BY step, detail;
-- the rows as they were
SELECT (SELECT string_agg(id::text || kind, ',' ORDER BY id) FROM woes.events) = b.events AS same_events,
       (SELECT string_agg(id::text || to_status::text, ',' ORDER BY id) FROM woes.status_events) = b.history AS same_history,
       (SELECT string_agg(id::text || body, ',' ORDER BY id) FROM woes.messages) = b.messages AS same_messages,
       (SELECT string_agg(id::text || number || status::text, ',' ORDER BY id) FROM woes.conversations) = b.conversations
           AS same_conversations
  FROM before_distribution b;
DROP TABLE before_distribution;
-- and the copy left row security on, here and on the workers
SHOW row_security;
SELECT DISTINCT result AS workers_row_security FROM run_command_on_workers('SHOW row_security');
-- no restrictive policy is left: Citus would have made it permissive on
-- the shards
SELECT count(*) AS restrictive_policies
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
 WHERE c.relnamespace = 'woes'::regnamespace AND NOT p.polpermissive;
-- channels and workspaces on every node; everything else by workspace_id,
-- one colocation group
SELECT partmethod, count(*) AS tables, count(DISTINCT colocationid) AS colocation_groups
  FROM pg_dist_partition WHERE logicalrelid IN (SELECT woes.citus_tables()) GROUP BY 1 ORDER BY 1;
SELECT count(*) AS not_by_workspace_id
  FROM pg_dist_partition d
 WHERE d.logicalrelid IN (SELECT woes.citus_tables()) AND d.partmethod = 'h'
   AND column_to_column_name(d.logicalrelid, d.partkey) <> 'workspace_id';
SELECT count(*) AS woes_tables_left_local
  FROM pg_class c WHERE c.relnamespace = 'woes'::regnamespace AND c.relkind = 'r'
   AND c.oid NOT IN (SELECT woes.citus_tables());
-- the settings it made: on the coordinator and on each worker
SELECT unnest(setconfig) AS setting FROM pg_db_role_setting
 WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0
 ORDER BY 1;
SELECT nodeport, result FROM run_command_on_workers($$
    SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()) AND setrole = 0$$)
 ORDER BY 1;
-- idempotent: a second call distributes nothing and checks the shards
SELECT step, regexp_replace(detail, '^\d+ shards', 'N shards') AS detail FROM woes.distribute();
-- doctor() asks the shards too
SELECT "check", ok, detail FROM woes.doctor()
 WHERE NOT ok OR "check" IN ('isolation_policy', 'policies_isolate', 'shard_policies', 'shard_privileges');
-- a policy added to some shards behind woes's back is found on them
SELECT count(*) AS shards_touched
  FROM run_command_on_shards('woes.agents', $$CREATE POLICY leak ON %s FOR SELECT USING (true)$$);
SELECT "check", ok, detail FROM woes.doctor() WHERE NOT ok;
SELECT step FROM woes.distribute();
SELECT count(*) AS shards_cleaned
  FROM run_command_on_shards('woes.agents', $$DROP POLICY leak ON %s$$);
SELECT count(*) AS problems FROM woes.doctor() WHERE NOT ok;
-- a column privilege missing on placements (as on a shard a rebalance
-- made: Citus does not carry column privileges) is found, and granted again
SELECT count(*) AS placements_touched
  FROM run_command_on_placements('woes.conversations', $$REVOKE SELECT (status) ON %s FROM woes_analyst$$);
SELECT "check", ok, regexp_replace(detail, '\d+ of \d+', 'N of M') AS detail FROM woes.doctor() WHERE NOT ok;
SELECT step, left(detail, 40) AS detail FROM woes.distribute() WHERE step = 'privileges' ORDER BY 2;
SELECT count(*) AS problems FROM woes.doctor() WHERE NOT ok;
-- the early workspace goes on where it was, in a new session (which has
-- the database's settings distribute() made)
\c - early
BEGIN;
SELECT woes.set_context(:'early', 'operator', :'eve');
SELECT woes.receive_message('live_chat', 'e-1', 'visitor-e', 'after', 'e-m2') IS NOT NULL AS received;
SELECT number, status FROM woes.conversations ORDER BY number;
SELECT kind FROM woes.events_since(0) ORDER BY id;
COMMIT;
\c - postgres

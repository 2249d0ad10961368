-- The project's suites on a cluster: after sql/00_setup (the extension, the
-- login roles, two workspaces), woes.distribute() lays the tables out on the
-- workers, as an admin does after CREATE EXTENSION; the second call grants
-- the column privileges on the shards it committed.  Then every later file
-- runs through the coordinator.
SET client_min_messages = warning;
SELECT count(*) > 0 AS distributed FROM woes.distribute();
SELECT count(*) > 0 AS privileges FROM woes.distribute();
SELECT count(*) AS problems FROM woes.doctor() WHERE NOT ok;

-- The routing benchmark's data: one workspace, OPERATORS operators, all
-- members of two teams, CONVERSATIONS open conversations assigned to them
-- round-robin (through the triggers, so the loads are kept), and a pool of
-- POOL unassigned open conversations that the pgbench scripts take one by
-- one (bench.next_conv()), so every transaction makes one real assignment;
-- run.sh puts the pool back (unassigned) before each pgbench run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT woes.create_workspace('bench-routing', 'Routing benchmark') AS ws \gset
CREATE SCHEMA bench;
CREATE TABLE bench.conv (n int PRIMARY KEY, id uuid NOT NULL);
CREATE TABLE bench.pool (n int PRIMARY KEY, id uuid NOT NULL);
CREATE SEQUENCE bench.pool_seq;
CREATE TABLE bench.team (t int PRIMARY KEY, id uuid NOT NULL, op uuid NOT NULL);
BEGIN;
SELECT woes.set_context(:'ws', 'admin');
CREATE TEMP TABLE ops AS
    SELECT i, woes.add_operator('op ' || i, 'op' || i || '@bench.test') AS id FROM generate_series(1, :operators) i;
INSERT INTO bench.team
    SELECT t, woes.add_team('team ' || t), (SELECT id FROM ops WHERE i = t + 1) FROM generate_series(0, 1) t;
SELECT count(woes.add_team_member(t.id, o.id)) AS memberships FROM bench.team t CROSS JOIN ops o;
SELECT woes.upsert_contact('api', 'bench-customer') AS contact \gset
INSERT INTO woes.conversations (channel, contact_id, subject)
    SELECT 'api', :'contact', 'bench ' || i FROM generate_series(1, :conversations) i;
INSERT INTO bench.conv SELECT row_number() OVER (ORDER BY id), id FROM woes.conversations;
UPDATE woes.conversations c
   SET team_id = (SELECT id FROM bench.team WHERE t = 0),
       assignee_id = (SELECT o.id FROM ops o WHERE o.i = 1 + b.n % :operators)
  FROM bench.conv b WHERE b.id = c.id;
INSERT INTO woes.conversations (channel, contact_id, subject)
    SELECT 'api', :'contact', 'pool ' || i FROM generate_series(1, :pool) i;
INSERT INTO bench.pool SELECT row_number() OVER (ORDER BY id), id FROM woes.conversations WHERE assignee_id IS NULL;
COMMIT;
-- the next unassigned conversation of the pool
CREATE FUNCTION bench.next_conv() RETURNS uuid LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k bigint;
    c uuid;
BEGIN
    k := nextval('bench.pool_seq');
    SELECT id INTO STRICT c FROM bench.pool WHERE n = k;
    RETURN c;
EXCEPTION WHEN no_data_found THEN
    RAISE EXCEPTION 'the pool of unassigned conversations is used up: raise POOL';
END $$;
CREATE FUNCTION bench.team_id(t int) RETURNS uuid LANGUAGE sql STABLE
    RETURN (SELECT id FROM bench.team WHERE team.t = team_id.t);
CREATE FUNCTION bench.team_op(t int) RETURNS uuid LANGUAGE sql STABLE
    RETURN (SELECT op FROM bench.team WHERE team.t = team_op.t);
ANALYZE;

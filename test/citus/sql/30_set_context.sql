-- woes.set_context() on Citus: it checks the context on the coordinator,
-- and the workers get it too (it runs its SET LOCAL as statements, which
-- Citus forwards; set_config() alone is not forwarded).
\set VERBOSITY terse
SET client_min_messages = warning;
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS gus FROM woes.operators WHERE name = 'Gus' \gset
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
INSERT INTO woes.contacts (name) VALUES ('Dave') RETURNING name;
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT id, 'api', 'through set_context' FROM woes.contacts WHERE name = 'Dave'
RETURNING number;
-- the workers read with the same context: acme's rows only
SELECT name FROM woes.contacts ORDER BY 1;
SELECT subject, number FROM woes.conversations ORDER BY number;
COMMIT;
-- another workspace's operator as the actor is refused, before anything
-- reaches a worker
\set VERBOSITY sqlstate
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'gus');
ROLLBACK;
\set VERBOSITY terse
-- and the context ends with the transaction, on every node
SELECT count(*) AS after_commit FROM woes.contacts;
RESET ROLE;
-- a context set inside a savepoint that is then released (an ORM's nested
-- atomic block, psql's ON_ERROR_ROLLBACK) reaches the workers first used
-- after the release (Citus 12.1 drops such a SET LOCAL from what it
-- forwards; woes forwards it again)
SET ROLE app;
BEGIN;
SAVEPOINT nested;
SELECT woes.set_context(:'acme', 'operator', :'ann');
RELEASE nested;
SELECT count(*) > 0 AS reads_after_release FROM woes.contacts;
SELECT woes.add_team('after release') IS NOT NULL AS writes_after_release;
ROLLBACK;
BEGIN;
SAVEPOINT nested;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SET LOCAL woes.actor = :'ann';
RELEASE nested;
SELECT count(*) > 0 AS reads_after_release FROM woes.contacts;
ROLLBACK;
-- a savepoint rolled back takes its context with it, on the workers too
BEGIN;
SELECT woes.set_context(:'globex', 'operator', :'gus');
SAVEPOINT nested;
SELECT woes.set_context(:'acme', 'operator', :'ann');
ROLLBACK TO nested;
SELECT DISTINCT workspace_id = :'globex' AS globex_only FROM woes.contacts;
ROLLBACK;
\set ON_ERROR_ROLLBACK on
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
SELECT name FROM woes.contacts ORDER BY 1;
COMMIT;
\set ON_ERROR_ROLLBACK off
RESET ROLE;

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

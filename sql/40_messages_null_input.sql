-- NULLs where the triggers read a column before NOT NULL is checked (BEFORE
-- row triggers run first): each is a clear error, never a crash.
\set VERBOSITY terse
\set ON_ERROR_ROLLBACK on
SET ROLE app;
SELECT woes.create_workspace('nulls', 'Nulls Inc') AS ws \gset
BEGIN;
SELECT woes.set_context(:'ws', 'operator');
SELECT woes.upsert_contact('api', 'null-test') AS c \gset
-- (a NULL id asks woes for one, as DEFAULT does: these two rows are written)
INSERT INTO woes.conversations (id, channel, contact_id) VALUES (NULL, 'api', :'c');
INSERT INTO woes.conversations (channel, contact_id) VALUES ('api', :'c') RETURNING id AS conv \gset
INSERT INTO woes.messages (conversation_id, author_kind, body) VALUES (:'conv', NULL, 'x');
INSERT INTO woes.messages (id, conversation_id, author_kind, body) VALUES (NULL, :'conv', 'system', 'x');
INSERT INTO woes.messages (conversation_id, author_kind, body, visibility) VALUES (:'conv', 'system', 'x', NULL);
INSERT INTO woes.messages (conversation_id, author_kind, body) VALUES (NULL, 'system', 'x');
UPDATE woes.conversations SET control = NULL WHERE id = :'conv';
UPDATE woes.conversations SET status = NULL WHERE id = :'conv';
UPDATE woes.conversations SET status = 'snoozed', snoozed_until = NULL WHERE id = :'conv';
-- nothing of the failed statements was written (the two NULL-id rows are)
SELECT (SELECT count(*) FROM woes.conversations) AS conversations,
       (SELECT count(*) FROM woes.messages) AS messages,
       (SELECT count(*) FROM woes.status_events) AS status_events;
ROLLBACK;
SELECT 'the backend is still here' AS alive;
RESET ROLE;

-- The foundation API: create_workspace, add_operator, add_team,
-- add_team_member, add_agent, upsert_contact, doctor; gap-free
-- conversation numbers; frozen columns (WO006) and updated_at.
\set VERBOSITY terse
SELECT current_user AS su \gset

--------------------------------------------------------------------------
-- create_workspace (no context needed; woes_service and woes_admin only)
--------------------------------------------------------------------------
SET ROLE app;
SELECT woes.create_workspace('api-one', 'API One') AS one \gset
SELECT woes.uuid_v7_time(:'one') IS NOT NULL AS v7_id;
SELECT try_sql($$SELECT woes.create_workspace('api-one', 'Again')$$);
SELECT try_sql($$SELECT woes.create_workspace('Bad_Slug', 'Bad')$$);
SELECT try_sql($$SELECT woes.create_workspace('-dash', 'Bad')$$);
SELECT try_sql($$SELECT woes.create_workspace('', 'Bad')$$);
SELECT try_sql($$SELECT woes.create_workspace(repeat('a', 64), 'Bad')$$);
SELECT try_sql($$SELECT woes.create_workspace(NULL, 'Bad')$$);
SELECT try_sql($$SELECT woes.create_workspace('api-bad', '')$$);
SELECT try_sql($$SELECT woes.create_workspace('api-bad', NULL)$$);
SELECT try_sql($$SELECT woes.create_workspace('api-bad', repeat('n', 201))$$);
-- the hints say what is allowed
\set VERBOSITY default
SELECT woes.create_workspace('Bad_Slug', 'Bad');
SELECT woes.create_workspace('api-one', 'Again');
\set VERBOSITY terse
RESET ROLE;
SET ROLE boss;
SELECT woes.create_workspace('api-two', 'API Two') AS two \gset
RESET ROLE;
SET ROLE bi;
\set VERBOSITY sqlstate
SELECT woes.create_workspace('api-bi', 'BI');
\set VERBOSITY terse
RESET ROLE;
SELECT w.slug, w.name, coalesce(n.last_conversation_number, 0) AS last_conversation_number
  FROM woes.workspaces w LEFT JOIN woes.workspace_counters n ON n.workspace_id = w.id
 WHERE w.slug LIKE 'api-%' ORDER BY 1;

--------------------------------------------------------------------------
-- add_operator, add_team, add_team_member, add_agent
--------------------------------------------------------------------------
SET ROLE app;
-- without a context, or in an audience that may not
SELECT woes.add_operator('Olga', 'olga@one.test');
BEGIN;
SELECT woes.set_context(:'one', 'analyst');
SELECT try_sql($$SELECT woes.add_operator('Olga', 'olga@one.test')$$);
SELECT try_sql($$SELECT woes.add_team('Billing')$$);
SELECT try_sql($$SELECT woes.add_agent('helper')$$);
SELECT try_sql($$SELECT woes.upsert_contact('email', 'x@example.com')$$);
\set VERBOSITY default
SELECT woes.add_team('Billing');
\set VERBOSITY terse
ROLLBACK;
BEGIN;
SELECT woes.set_context(:'one', 'operator');
SELECT woes.add_operator('Olga', 'olga@one.test') AS olga \gset
SELECT woes.add_operator('Piet', 'piet@one.test') AS piet \gset
-- emails are unique per workspace, case-insensitively
SELECT try_sql($$SELECT woes.add_operator('Olga 2', 'OLGA@one.test')$$);
SELECT try_sql($$SELECT woes.add_operator('Nameless', 'not-an-email')$$);
SELECT try_sql($$SELECT woes.add_operator('', 'empty@one.test')$$);
SELECT try_sql($$SELECT woes.add_operator(NULL, 'null@one.test')$$);
SELECT try_sql($$SELECT woes.add_operator('Null', NULL)$$);
SELECT woes.add_team('Billing') AS billing \gset
SELECT try_sql($$SELECT woes.add_team('Billing')$$);
SELECT try_sql($$SELECT woes.add_team('')$$);
-- membership is idempotent: the same id again
SELECT woes.add_team_member(:'billing', :'olga') AS member \gset
SELECT woes.add_team_member(:'billing', :'olga') = :'member' AS same_member;
SELECT woes.add_team_member(:'billing', :'piet') <> :'member' AS other_member;
SELECT count(*) AS members FROM woes.team_members;
-- agents: every channel (NULL) or some known ones
SELECT woes.add_agent('helper') IS NOT NULL AS helper;
SELECT woes.add_agent('mailer', ARRAY['email']) IS NOT NULL AS mailer;
SELECT try_sql($$SELECT woes.add_agent('helper')$$);
SELECT try_sql($$SELECT woes.add_agent('nowhere', ARRAY[]::text[])$$);
SELECT try_sql($$SELECT woes.add_agent('pigeon', ARRAY['email', 'carrier_pigeon'])$$);
SELECT name, channels FROM woes.agents ORDER BY 1;
COMMIT;
-- the other workspace: the same email is fine there, but the ids of
-- workspace one are not found (WO005) and never linked
BEGIN;
SELECT woes.set_context(:'two', 'operator');
SELECT woes.add_operator('Olga', 'olga@one.test') AS olga_two \gset
SELECT woes.add_team('Billing') AS billing_two \gset
SELECT try_sql(format('SELECT woes.add_team_member(%L, %L)', :'billing', :'olga_two'));
SELECT try_sql(format('SELECT woes.add_team_member(%L, %L)', :'billing_two', :'olga'));
SELECT try_sql(format('SELECT woes.add_team_member(%L, %L)', :'billing', :'olga'));
SELECT try_sql(format('SELECT woes.add_team_member(%L, %L)', :'billing_two', :'olga_two'));
SELECT count(*) AS members_two FROM woes.team_members;
COMMIT;
-- direct inserts cannot link across workspaces either (the foreign keys
-- include workspace_id; the error without a header: on Citus it names the
-- shard, which would widen it)
BEGIN;
SELECT woes.set_context(:'two', 'operator');
\t on
SELECT try_sql(format('INSERT INTO woes.team_members (team_id, operator_id) VALUES (%L, %L)', :'billing_two', :'olga'));
\t off
ROLLBACK;

--------------------------------------------------------------------------
-- upsert_contact
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'one', 'operator');
SELECT woes.upsert_contact('discord', '1234567890', 'Zed') AS zed \gset
-- the same identity: the same contact, every time
SELECT woes.upsert_contact('discord', '1234567890') = :'zed' AS same_contact;
-- what is learnt later is filled in, what was known is never erased
SELECT woes.upsert_contact('discord', '1234567890', NULL, 'zed@example.com') = :'zed' AS same_again;
SELECT woes.upsert_contact('discord', '1234567890', NULL, NULL) = :'zed' AS and_again;
SELECT name, email FROM woes.contacts WHERE id = :'zed';
SELECT woes.upsert_contact('discord', '1234567890', 'Zed Z') = :'zed' AS renamed;
SELECT name, email FROM woes.contacts WHERE id = :'zed';
-- another channel with the same external id is another contact
SELECT woes.upsert_contact('live_chat', '1234567890') <> :'zed' AS other_channel_other_contact;
SELECT (SELECT count(*) FROM woes.contacts) AS contacts, (SELECT count(*) FROM woes.identities) AS identities;
-- unknown channels and bad ids: WO007, with the known channels in the hint
SELECT try_sql($$SELECT woes.upsert_contact('fax', '123')$$);
SELECT try_sql($$SELECT woes.upsert_contact(NULL, '123')$$);
SELECT try_sql($$SELECT woes.upsert_contact('email', '')$$);
SELECT try_sql($$SELECT woes.upsert_contact('email', NULL)$$);
SELECT try_sql($$SELECT woes.upsert_contact('email', repeat('x', 513))$$);
SAVEPOINT hint;
\set VERBOSITY default
SELECT woes.upsert_contact('fax', '123');
\set VERBOSITY terse
ROLLBACK TO SAVEPOINT hint;
COMMIT;
-- in workspace two the same identity makes a separate contact
BEGIN;
SELECT woes.set_context(:'two', 'operator');
SELECT woes.upsert_contact('discord', '1234567890') <> :'zed' AS separate_contact;
COMMIT;

-- a superuser bypasses row-level security, yet the API still acts for the
-- context's workspace only: no contact, team or operator of workspace one
-- is found, linked or renamed from workspace two
RESET ROLE;
BEGIN;
SELECT woes.set_context(:'one', 'operator');
SELECT woes.upsert_contact('email', 'only-one@example.com', 'Only One') AS only_one \gset
COMMIT;
BEGIN;
SELECT woes.set_context(:'two', 'operator');
SELECT woes.upsert_contact('email', 'only-one@example.com', 'Renamed from two') <> :'only_one' AS new_contact_in_two;
SELECT try_sql(format('SELECT woes.add_team_member(%L, %L)', :'billing', :'olga'));
COMMIT;
SELECT name FROM woes.contacts WHERE id = :'only_one';
SELECT w.slug, c.name FROM woes.contacts c JOIN woes.workspaces w ON w.id = c.workspace_id
 WHERE c.name IN ('Only One', 'Renamed from two') ORDER BY 1, 2;
SET ROLE app;

--------------------------------------------------------------------------
-- Conversation numbers: 1..n per workspace, independent, gap-free
--------------------------------------------------------------------------
BEGIN;
SELECT woes.set_context(:'one', 'operator');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed', 'discord', 'one-a');
INSERT INTO woes.conversations (contact_id, channel, subject)
VALUES (:'zed', 'discord', 'one-b'), (:'zed', 'discord', 'one-c');
-- a number given by the caller is ignored
INSERT INTO woes.conversations (contact_id, channel, subject, number) VALUES (:'zed', 'discord', 'one-d', 999);
COMMIT;
BEGIN;
SELECT woes.set_context(:'two', 'operator');
SELECT contact_id AS zed_two FROM woes.identities WHERE channel = 'discord' AND external_id = '1234567890' \gset
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed_two', 'discord', 'two-a');
COMMIT;
-- a rolled-back conversation gives its number back
BEGIN;
SELECT woes.set_context(:'one', 'operator');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed', 'discord', 'rolled back');
ROLLBACK;
-- so does a failed statement (here: an unknown channel, caught after the
-- number was taken) rolled back to a savepoint
BEGIN;
SELECT woes.set_context(:'one', 'operator');
SAVEPOINT s;
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed', 'carrier_pigeon', 'failed');
ROLLBACK TO SAVEPOINT s;
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed', 'discord', 'one-e');
COMMIT;
BEGIN;
SELECT woes.set_context(:'two', 'operator');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'zed_two', 'discord', 'two-b');
COMMIT;
RESET ROLE;
SELECT w.slug, c.number, c.subject
  FROM woes.conversations c JOIN woes.workspaces w ON w.id = c.workspace_id
 WHERE w.slug LIKE 'api-%' ORDER BY 1, 2;
SELECT w.slug, coalesce(n.last_conversation_number, 0) AS last_conversation_number
  FROM woes.workspaces w LEFT JOIN woes.workspace_counters n ON n.workspace_id = w.id
 WHERE w.slug LIKE 'api-%' ORDER BY 1;

--------------------------------------------------------------------------
-- Frozen columns (WO006) and updated_at
--------------------------------------------------------------------------
SET ROLE app;
BEGIN;
SELECT woes.set_context(:'one', 'operator');
SELECT try_sql($$UPDATE woes.conversations SET number = 99 WHERE subject = 'one-a'$$);
SELECT try_sql($$UPDATE woes.conversations SET number = number + 1$$);
-- (new values that are constants: Citus refuses a volatile function, or a
-- stable one of a column, in an UPDATE before any row is looked at)
SELECT try_sql($$UPDATE woes.conversations SET id = '00000000-0000-7000-8000-000000000001' WHERE subject = 'one-a'$$);
SELECT try_sql($$UPDATE woes.conversations SET created_at = '2001-01-01 00:00:00+00' WHERE subject = 'one-a'$$);
SELECT try_sql($$UPDATE woes.contacts SET id = '00000000-0000-7000-8000-000000000002'$$);
SELECT try_sql($$UPDATE woes.contacts SET created_at = now() - interval '1 day'$$);
SELECT try_sql($$UPDATE woes.operators SET id = '00000000-0000-7000-8000-000000000003'$$);
SELECT try_sql($$UPDATE woes.team_members SET team_id = team_id, id = '00000000-0000-7000-8000-000000000004'$$);
-- setting them to what they are is no change
SELECT try_sql($$UPDATE woes.conversations SET number = number, id = id, created_at = created_at$$);
COMMIT;
-- updated_at follows every raw UPDATE (a later transaction: a later time)
SELECT pg_sleep(0.01);
BEGIN;
SELECT woes.set_context(:'one', 'operator');
UPDATE woes.conversations SET subject = 'one-a (edited)' WHERE subject = 'one-a';
UPDATE woes.contacts SET name = 'Zed Zeta' WHERE id = :'zed';
SELECT subject, updated_at = now() AS stamped, updated_at > created_at AS after_creation
  FROM woes.conversations WHERE subject LIKE 'one-a%';
SELECT name, updated_at = now() AS stamped FROM woes.contacts WHERE id = :'zed';
-- unless the UPDATE sets it itself
UPDATE woes.conversations SET subject = 'one-b (edited)', updated_at = '2001-01-01 00:00:00+00' WHERE subject = 'one-b';
SELECT subject, updated_at = '2001-01-01 00:00:00+00' AS kept FROM woes.conversations WHERE subject LIKE 'one-b%';
-- rows not updated keep their time
SELECT count(*) AS untouched FROM woes.conversations WHERE updated_at <> now() AND subject IN ('one-c', 'one-d');
COMMIT;
RESET ROLE;

--------------------------------------------------------------------------
-- doctor(): for woes_admin; all checks pass
--------------------------------------------------------------------------
SET ROLE app;
SELECT * FROM woes.doctor();
RESET ROLE;
SET ROLE boss;
SELECT "check", ok, detail FROM woes.doctor() ORDER BY 1;
RESET ROLE;

-- A removed operator or team leaves the conversations it held: the
-- assignee, team and controller are cleared by the release_conversations
-- triggers (a foreign key's ON DELETE SET NULL did this before 0.2.0;
-- Citus refuses that action on keys with the distribution column), in the
-- removed row's workspace only.  A conversation's contact is frozen.
\set VERBOSITY terse
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS carol FROM woes.contacts WHERE workspace_id = :'acme' AND name = 'Carol' \gset
SELECT id AS dave FROM woes.contacts WHERE workspace_id = :'acme' AND name <> 'Carol' LIMIT 1 \gset

SET ROLE boss;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.add_operator('Leaving', 'leaving@acme.test') AS leaving \gset
SELECT woes.add_operator('Staying', 'staying@acme.test') AS staying \gset
SELECT woes.add_team('Disbanded') AS team \gset
-- both in the team (an assignee with a team must be a member of it)
SELECT woes.add_team_member(:'team', :'leaving') IS NOT NULL AS leaving_member,
       woes.add_team_member(:'team', :'staying') IS NOT NULL AS staying_member;
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'leaving');
SELECT woes.start_conversation(:'carol', 'api', 'held by the leaving operator') AS held \gset
SELECT woes.start_conversation(:'carol', 'api', 'assigned to the staying one') AS kept \gset
UPDATE woes.conversations SET assignee_id = :'leaving', team_id = :'team', control = 'operator'
 WHERE id = :'held';
UPDATE woes.conversations SET assignee_id = :'staying', team_id = :'team' WHERE id = :'kept';
SELECT subject, assignee_id = :'leaving' AS leaving_assigned, controller_id = :'leaving' AS leaving_controls,
       team_id = :'team' AS in_team
  FROM woes.conversations WHERE id IN (:'held', :'kept') ORDER BY subject;
COMMIT;

BEGIN;
SELECT woes.set_context(:'acme', 'admin');
DELETE FROM woes.operators WHERE id = :'leaving' RETURNING name;
DELETE FROM woes.teams WHERE id = :'team' RETURNING name;
SELECT subject, assignee_id IS NULL AS no_assignee, assignee_id = :'staying' AS staying_assigned,
       controller_id IS NULL AS no_controller, team_id IS NULL AS no_team
  FROM woes.conversations WHERE id IN (:'held', :'kept') ORDER BY subject;
COMMIT;

-- the contact of a conversation never changes
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
UPDATE woes.conversations SET contact_id = :'dave' WHERE id = :'kept';
ROLLBACK;
RESET ROLE;

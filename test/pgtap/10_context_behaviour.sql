-- Behaviour as non-owner roles (SET LOCAL ROLE): isolation and context
-- errors with their SQLSTATEs, forging refused, doctor() clean.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION woes;
SELECT plan(29);

-- roles of this file (rolled back with everything else)
CREATE ROLE woes_tap_app IN ROLE woes_service;
CREATE ROLE woes_tap_admin IN ROLE woes_admin;
CREATE ROLE woes_tap_nobody;

-- two workspaces with a contact and a conversation each, made by the
-- superuser under a context
CREATE TEMP TABLE ids (name text PRIMARY KEY, id uuid);
GRANT SELECT ON ids TO PUBLIC;
INSERT INTO ids SELECT 'a', woes.create_workspace('tap-a', 'Tap A');
INSERT INTO ids SELECT 'b', woes.create_workspace('tap-b', 'Tap B');
SELECT woes.set_context((SELECT id FROM ids WHERE name = 'a'), 'operator');
INSERT INTO ids SELECT 'carol', woes.upsert_contact('email', 'carol@example.com', 'Carol');
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT id, 'email', 'a-1' FROM ids WHERE name = 'carol';
SELECT woes.set_context((SELECT id FROM ids WHERE name = 'b'), 'operator');
INSERT INTO ids SELECT 'gina', woes.upsert_contact('email', 'gina@example.com', 'Gina');
INSERT INTO woes.conversations (contact_id, channel, subject)
SELECT id, 'email', 'b-1' FROM ids WHERE name = 'gina';
INSERT INTO ids SELECT 'b-conv', id FROM woes.conversations WHERE workspace_id = (SELECT id FROM ids WHERE name = 'b');
SELECT woes.clear_context();

SELECT is_empty($$SELECT "check" FROM woes.doctor() WHERE NOT ok$$, 'doctor() finds nothing unsafe');
SELECT cmp_ok((SELECT count(*) FROM woes.doctor()), '>=', 11::bigint, 'doctor() runs all its checks');

--------------------------------------------------------------------------
-- the trusted backend, in workspace a
--------------------------------------------------------------------------
SET LOCAL ROLE woes_tap_app;
SELECT is(current_user, 'woes_tap_app'::name, 'running as a woes_service member, not the owner');
SELECT lives_ok($$SELECT woes.set_context((SELECT id FROM ids WHERE name = 'a'), 'operator')$$,
                'woes_service may set the context');
SELECT results_eq($$SELECT subject FROM woes.conversations ORDER BY 1$$, ARRAY['a-1'],
                  'only workspace a is visible');
SELECT is_empty($$SELECT FROM woes.conversations WHERE id = (SELECT id FROM ids WHERE name = 'b-conv')$$,
                'workspace b''s conversation is not found by id');
SELECT throws_ok($$INSERT INTO woes.conversations (workspace_id, contact_id, channel)
                   SELECT (SELECT id FROM ids WHERE name = 'b'), id, 'email' FROM ids WHERE name = 'gina'$$,
                 'WO002', 'row is outside the current workspace', 'a conversation in another workspace: WO002');
SELECT throws_ok($$INSERT INTO woes.contacts (workspace_id, name) SELECT id, 'mole' FROM ids WHERE name = 'b'$$,
                 'WO002', NULL, 'a contact in another workspace: WO002');
SELECT throws_ok($$INSERT INTO woes.messages (workspace_id, conversation_id, contact_id, author_kind, body)
                   SELECT (SELECT id FROM ids WHERE name = 'b'), (SELECT id FROM ids WHERE name = 'b-conv'),
                          id, 'operator', 'hello' FROM ids WHERE name = 'gina'$$,
                 'WO002', NULL, 'a message in another workspace: WO002');
SELECT throws_ok($$UPDATE woes.conversations SET workspace_id = (SELECT id FROM ids WHERE name = 'b')$$,
                 'WO006', NULL, 'moving a conversation to another workspace is refused');
SELECT throws_ok($$INSERT INTO woes.messages (conversation_id, contact_id, author_kind, body)
                   SELECT (SELECT id FROM ids WHERE name = 'b-conv'), id, 'operator', 'hello'
                     FROM ids WHERE name = 'gina'$$,
                 NULL, NULL, 'a message of workspace a pointing at workspace b''s conversation is refused');
SELECT is_empty($$UPDATE woes.conversations SET subject = 'pwned'
                   WHERE id = (SELECT id FROM ids WHERE name = 'b-conv') RETURNING id$$,
                'an UPDATE of workspace b''s conversation touches nothing');
SELECT throws_ok($$SELECT woes.set_context((SELECT id FROM ids WHERE name = 'a'), 'admin')$$,
                 'WO003', NULL, 'woes_service may not take the admin audience');
SELECT throws_ok($$SELECT woes.set_context((SELECT id FROM ids WHERE name = 'a'), 'customer')$$,
                 'WO004', 'the customer audience needs an actor', 'a customer context needs an actor');
SELECT throws_ok($$SELECT woes.set_context('00000000-0000-0000-0000-000000000000', 'operator')$$,
                 'WO004', NULL, 'an unknown workspace is refused');
SELECT throws_ok($$TRUNCATE woes.conversations$$, '42501', NULL, 'TRUNCATE is refused');
SELECT throws_ok($$CREATE TABLE woes.t (i int)$$, '42501', NULL, 'CREATE in schema woes is refused');

-- no context: nothing visible, every write WO001
SELECT woes.clear_context();
SELECT is_empty($$SELECT FROM woes.conversations$$, 'no context: no conversation is visible');
SELECT is_empty($$SELECT FROM woes.workspaces$$, 'no context: no workspace is visible');
SELECT throws_ok($$INSERT INTO woes.conversations (contact_id, channel) SELECT id, 'email' FROM ids WHERE name = 'carol'$$,
                 'WO001', 'no woes context is set', 'no context: INSERT fails with WO001');
SELECT throws_ok($$UPDATE woes.conversations SET subject = 'x'$$, 'WO001', NULL, 'no context: UPDATE fails with WO001');
SELECT throws_ok($$DELETE FROM woes.contacts$$, 'WO001', NULL, 'no context: DELETE fails with WO001');
SELECT throws_ok($$SELECT woes.add_team('Billing')$$, 'WO001', NULL, 'no context: the API fails with WO001');
RESET ROLE;

--------------------------------------------------------------------------
-- a role outside the woes roles cannot forge the context
--------------------------------------------------------------------------
SET LOCAL ROLE woes_tap_nobody;
SELECT throws_ok($$SELECT set_config('woes.workspace', (SELECT id::text FROM ids WHERE name = 'a'), true)$$,
                 '42501', NULL, 'set_config of woes.workspace is refused');
SELECT throws_ok($$SET LOCAL woes.audience = 'admin'$$, '42501', NULL, 'SET LOCAL woes.audience is refused');
SELECT throws_ok($$RESET woes.actor$$, '42501', NULL, 'RESET woes.actor is refused');
SELECT throws_ok($$SELECT woes.set_context((SELECT id FROM ids WHERE name = 'a'), 'operator')$$,
                 '42501', NULL, 'set_context is not even reachable (no USAGE on schema woes)');
RESET ROLE;

--------------------------------------------------------------------------
-- an admin: any workspace, one at a time
--------------------------------------------------------------------------
SET LOCAL ROLE woes_tap_admin;
SELECT woes.set_context((SELECT id FROM ids WHERE name = 'b'), 'admin');
SELECT results_eq($$SELECT subject FROM woes.conversations ORDER BY 1$$, ARRAY['b-1'],
                  'an admin in workspace b sees workspace b only');
SELECT throws_ok($$INSERT INTO woes.contacts (workspace_id, name) SELECT id, 'mole' FROM ids WHERE name = 'a'$$,
                 'WO002', NULL, 'an admin cannot write into another workspace either');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;

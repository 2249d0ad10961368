-- The woes context: who may set it (set_context and its rules), how long it
-- lasts (transaction-local by default), that nobody else can forge it
-- (SET, set_config, SET LOCAL, RESET, and placeholder settings made before
-- the library is loaded), and role bindings (bind_role, unbind_role).
\set VERBOSITY terse
SELECT current_user AS su \gset
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
SELECT id AS globex FROM woes.workspaces WHERE slug = 'globex' \gset
SELECT id AS carol FROM woes.contacts WHERE name = 'Carol' \gset
SELECT id AS dave FROM woes.contacts WHERE name = 'Dave' \gset
SELECT id AS gina FROM woes.contacts WHERE name = 'Gina' \gset
SELECT id AS ann FROM woes.operators WHERE name = 'Ann' \gset
SELECT id AS bot_a FROM woes.agents WHERE name = 'bot-a' \gset

-- Roles of this suite: cust (a tool bound to the customer audience, with
-- plain table grants), nosy (a role somebody granted too much: schema usage,
-- table reads and even EXECUTE on set_context, but no woes group role),
-- sneaky (BYPASSRLS) and root_like (SUPERUSER), which must not be bound.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cust') THEN
        CREATE ROLE cust LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'nosy') THEN
        CREATE ROLE nosy LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sneaky') THEN
        CREATE ROLE sneaky LOGIN BYPASSRLS;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'root_like') THEN
        CREATE ROLE root_like NOLOGIN SUPERUSER;
    END IF;
END;
$$;
-- (passwords for \c under pg_virtualenv, as in 00_setup)
\getenv pgpassword PGPASSWORD
\if :{?pgpassword}
ALTER ROLE cust PASSWORD :'pgpassword';
ALTER ROLE nosy PASSWORD :'pgpassword';
\endif
GRANT USAGE ON SCHEMA woes TO cust, nosy;
GRANT SELECT ON woes.conversations TO cust, nosy;
GRANT SELECT ON woes.contacts TO cust, nosy;
GRANT SELECT ON woes.workspaces TO cust, nosy;
GRANT EXECUTE ON FUNCTION woes.set_context(uuid, woes.audience, uuid, boolean) TO nosy;
-- one conversation each for carol, dave (acme) and gina (globex)
BEGIN;
SELECT woes.set_context(:'acme', 'operator', :'ann');
INSERT INTO woes.conversations (contact_id, channel, subject)
VALUES (:'carol', 'email', 'ctx carol'), (:'dave', 'email', 'ctx dave');
COMMIT;
BEGIN;
SELECT woes.set_context(:'globex', 'operator');
INSERT INTO woes.conversations (contact_id, channel, subject) VALUES (:'gina', 'email', 'ctx gina');
COMMIT;

--------------------------------------------------------------------------
-- set_context rules, as app (a member of woes_service)
--------------------------------------------------------------------------
SET ROLE app;
-- no context: nothing set
SELECT woes.current_workspace() IS NULL AS no_ws, woes.current_audience() IS NULL AS no_aud,
       woes.current_actor() IS NULL AS no_actor;
-- the admin audience needs woes_admin
SELECT try_sql(format('SELECT woes.set_context(%L, %L)', :'acme', 'admin'));
-- customer and agent need an actor
SELECT try_sql(format('SELECT woes.set_context(%L, %L)', :'acme', 'customer'));
SELECT try_sql(format('SELECT woes.set_context(%L, %L)', :'acme', 'agent'));
-- null workspace or audience
SELECT try_sql(format('SELECT woes.set_context(NULL, %L)', 'operator'));
SELECT try_sql(format('SELECT woes.set_context(%L, NULL)', :'acme'));
-- unknown workspace, unknown actor
SELECT woes.set_context('00000000-0000-0000-0000-000000000000', 'operator');
SELECT try_sql(format('SELECT woes.set_context(%L, %L)', '00000000-0000-0000-0000-000000000000', 'operator'));
SELECT try_sql(format('SELECT woes.set_context(%L, %L, %L)', :'acme', 'customer', '00000000-0000-0000-0000-000000000000'));
-- an audience that does not exist
SELECT woes.set_context(:'acme', 'root');
-- an actor of the other workspace, or of the wrong kind
SELECT try_sql(format('SELECT woes.set_context(%L, %L, %L)', :'acme', 'customer', :'gina'));
SELECT try_sql(format('SELECT woes.set_context(%L, %L, %L)', :'acme', 'customer', :'bot_a'));
SELECT try_sql(format('SELECT woes.set_context(%L, %L, %L)', :'acme', 'agent', :'carol'));
SELECT try_sql(format('SELECT woes.set_context(%L, %L, %L)', :'acme', 'operator', :'carol'));
-- a failed set_context leaves no context behind
SELECT woes.current_workspace() IS NULL AS still_none;
-- a valid one, checked field by field
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT woes.current_workspace() = :'acme' AS ws, woes.current_audience() AS aud,
       woes.current_actor() = :'carol' AS actor;
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
-- transaction-local: gone after COMMIT ...
SELECT woes.current_workspace() IS NULL AS gone_after_commit, woes.current_audience() IS NULL AS aud_gone;
SELECT count(*) AS visible_after_commit FROM woes.conversations;
-- ... and after ROLLBACK
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
SELECT count(*) AS visible_inside FROM woes.conversations WHERE subject LIKE 'ctx%';
ROLLBACK;
SELECT woes.current_workspace() IS NULL AS gone_after_rollback;
-- ... and after an autocommit statement
SELECT woes.set_context(:'acme', 'operator');
SELECT woes.current_workspace() IS NULL AS gone_after_autocommit;
-- an error after set_context also takes the context with it
BEGIN;
SELECT woes.set_context(:'acme', 'operator');
SELECT 1 / 0;
ROLLBACK;
SELECT woes.current_workspace() IS NULL AS gone_after_error;
-- a second set_context in one transaction replaces the first
BEGIN;
SELECT woes.set_context(:'acme', 'customer', :'carol');
SELECT woes.set_context(:'globex', 'operator');
SELECT woes.current_workspace() = :'globex' AS switched, woes.current_actor() IS NULL AS actor_cleared;
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
-- A context that would outlast its transaction is refused by default:
-- behind a transaction pooler the next client would act with it.
-- local => false, at once:
SELECT woes.set_context(:'acme', 'customer', :'carol', local => false);
SELECT woes.current_workspace() IS NULL AS no_session_context;
-- a plain session SET by a woes_service member, at the end of its
-- transaction, in or out of a transaction block:
SET woes.workspace = :'acme';
SELECT woes.current_workspace() IS NULL AS set_refused;
BEGIN;
SET woes.workspace = :'acme';
SET woes.audience = 'operator';
SELECT woes.current_workspace() = :'acme' AS set_within;
SELECT count(*) > 0 AS reads_within FROM woes.conversations;
COMMIT;
SELECT woes.current_workspace() IS NULL AS refused_at_commit, woes.current_audience() IS NULL AS no_audience;
-- set_config(..., false) is the same SET; so is SET then SET LOCAL (the
-- SET would survive) and SET in a subtransaction that is released
SELECT set_config('woes.actor', :'carol', false);
SELECT woes.current_actor() IS NULL AS set_config_refused;
BEGIN;
SET woes.workspace = :'acme';
SET LOCAL woes.workspace = :'globex';
COMMIT;
BEGIN;
SAVEPOINT s;
SET woes.audience = 'customer';
RELEASE SAVEPOINT s;
COMMIT;
SELECT woes.current_workspace() IS NULL AS still_none, woes.current_audience() IS NULL AS still_no_audience;
-- but SET LOCAL, a SET undone by a rollback, and clearing are fine
BEGIN;
SET woes.workspace = :'acme';
ROLLBACK;
SET woes.workspace = '';
RESET woes.audience;
-- the allowance is a superuser's setting: app cannot give it to itself
SET woes.allow_session_context = on;
SELECT woes.current_workspace() IS NULL AS still_none;
-- A superuser may allow it (e.g. per role, for a direct connection); then
-- local => false keeps the context for the session
RESET ROLE;
SET woes.allow_session_context = on;
SET ROLE app;
SELECT woes.set_context(:'acme', 'customer', :'carol', local => false);
SELECT woes.current_workspace() = :'acme' AS session_ws, woes.current_audience() AS aud;
BEGIN;
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
SELECT subject FROM woes.conversations ORDER BY 1;
-- a session context set in a transaction that rolls back is undone
BEGIN;
SELECT woes.set_context(:'globex', 'operator', local => false);
ROLLBACK;
SELECT woes.current_workspace() = :'acme' AS back_to_acme;
-- clear_context clears for the rest of the transaction (the session value
-- comes back after it)
BEGIN;
SELECT woes.clear_context();
SELECT woes.current_workspace() IS NULL AS cleared, woes.current_audience() IS NULL AS aud_cleared,
       woes.current_actor() IS NULL AS actor_cleared;
SELECT count(*) AS visible_when_cleared FROM woes.conversations;
COMMIT;
SELECT woes.current_workspace() = :'acme' AS session_value_back;
-- the settings can be put back to none by woes_service members
RESET woes.workspace;
RESET woes.audience;
RESET woes.actor;
SELECT woes.current_workspace() IS NULL AS reset_ws, woes.current_audience() IS NULL AS reset_aud;
RESET ROLE;
RESET woes.allow_session_context;
SET ROLE app;

-- The Citus path: woes_service may SET LOCAL the settings directly (GRANT
-- SET ON PARAMETER); they are transaction-local too.
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SELECT woes.current_workspace() = :'acme' AS set_local_ws, woes.current_audience() AS aud;
SELECT subject FROM woes.conversations ORDER BY 1;
COMMIT;
SELECT woes.current_workspace() IS NULL AS set_local_gone;
-- the admin audience stays for woes_admin members on this path too
BEGIN;
SET LOCAL woes.audience = 'admin';
ROLLBACK;
SELECT set_config('woes.audience', 'admin', true);
-- a setting that is not a uuid or an audience is refused
SET woes.workspace = 'not-a-uuid';
SET woes.audience = 'superuser';
SET woes.actor = '1234';
RESET ROLE;

--------------------------------------------------------------------------
-- Forging: roles that are not woes_service / woes_admin members
--------------------------------------------------------------------------
-- nosy was (wrongly) granted EXECUTE on set_context: the membership check
-- in C still refuses it
SET ROLE nosy;
SELECT woes.set_context(:'acme', 'operator');
-- SET, set_config, SET LOCAL and RESET of the settings are all refused
SET woes.workspace = :'acme';
SET woes.audience = 'operator';
SELECT set_config('woes.workspace', :'acme', false);
SELECT set_config('woes.audience', 'operator', true);
BEGIN;
SET LOCAL woes.workspace = :'acme';
ROLLBACK;
RESET woes.workspace;
RESET woes.audience;
-- RESET ALL runs, but leaves the settings alone
RESET ALL;
SELECT woes.current_workspace() IS NULL AS still_none, count(*) AS visible FROM woes.conversations;
RESET ROLE;
-- an analyst may read (with a binding) but neither call set_context (it
-- has no USAGE on schema woes; on Citus, where it has, no EXECUTE) nor SET
SET ROLE bi;
\set VERBOSITY sqlstate
SELECT woes.set_context(:'acme', 'operator');
\set VERBOSITY terse
SET woes.workspace = :'acme';
RESET ROLE;

-- The placeholder attack: a fresh session SETs the settings before the woes
-- library is loaded (so they are still unchecked placeholders), then reads.
-- Loading the library re-applies them with the session user's rights: they
-- are dropped with a warning and nothing is visible.
\c - nosy
SET woes.workspace = :'acme';
SET woes.audience = 'operator';
SELECT set_config('woes.actor', :'ann', false) = :'ann' AS placeholder_accepted;
SELECT count(*) AS visible FROM woes.conversations;
SELECT woes.current_workspace() IS NULL AS no_ws, woes.current_audience() IS NULL AS no_aud,
       woes.current_actor() IS NULL AS no_actor;
SELECT current_setting('woes.workspace') AS ws_setting, current_setting('woes.audience') AS aud_setting;
-- the same with SET LOCAL inside the reading transaction
\c - nosy
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'operator';
SELECT count(*) AS visible FROM woes.conversations WHERE workspace_id = :'acme';
COMMIT;
-- rando (no woes role at all) may create the placeholder, but cannot load
-- the library or reach anything in schema woes
\c - rando
SET woes.workspace = :'acme';
SET woes.audience = 'admin';
LOAD 'woes';
SELECT woes.current_workspace();
SELECT count(*) FROM woes.conversations;
\c - :su

--------------------------------------------------------------------------
-- Role bindings
--------------------------------------------------------------------------
-- only woes_admin members may bind
SET ROLE app;
SELECT woes.bind_role('cust', :'acme', 'customer', :'carol');
RESET ROLE;
SET ROLE boss;
-- (a woes_admin member may take the admin audience by SET LOCAL as well)
BEGIN;
SET LOCAL woes.workspace = :'acme';
SET LOCAL woes.audience = 'admin';
SELECT woes.current_audience() AS boss_audience, count(*) AS boss_sees FROM woes.conversations;
ROLLBACK;
-- bind_role needs no context of its caller (it names the workspace), and
-- leaves the caller without one
SELECT woes.bind_role('cust', :'acme', 'customer', :'dave');
SELECT woes.current_workspace() IS NULL AS no_ws, woes.current_audience() IS NULL AS no_aud;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
-- refused: superusers, BYPASSRLS roles, the group roles
SELECT try_sql($$SELECT woes.bind_role('root_like', $$ || quote_literal(:'acme') || $$, 'operator')$$);
SELECT try_sql($$SELECT woes.bind_role('sneaky', $$ || quote_literal(:'acme') || $$, 'operator')$$);
SELECT try_sql($$SELECT woes.bind_role('woes_service', $$ || quote_literal(:'acme') || $$, 'operator')$$);
SELECT try_sql($$SELECT woes.bind_role('woes_admin', $$ || quote_literal(:'acme') || $$, 'admin')$$);
SELECT try_sql($$SELECT woes.bind_role('woes_analyst', $$ || quote_literal(:'acme') || $$, 'analyst')$$);
-- the admin audience only for woes_admin members
SELECT try_sql($$SELECT woes.bind_role('cust', $$ || quote_literal(:'acme') || $$, 'admin')$$);
-- customer and agent need an actor of that kind in that workspace
SELECT try_sql($$SELECT woes.bind_role('cust', $$ || quote_literal(:'acme') || $$, 'customer')$$);
SELECT try_sql($$SELECT woes.bind_role('cust', $$ || quote_literal(:'acme') || $$, 'agent')$$);
SELECT try_sql($$SELECT woes.bind_role('cust', '00000000-0000-0000-0000-000000000000', 'analyst')$$);
SELECT try_sql(format('SELECT woes.bind_role(%L, %L, %L, %L)', 'cust', :'acme', 'customer', :'gina'));
SELECT try_sql(format('SELECT woes.bind_role(%L, %L, %L, %L)', 'cust', :'acme', 'customer', :'bot_a'));
SELECT try_sql(format('SELECT woes.bind_role(%L, %L, %L, %L)', 'cust', :'acme', 'agent', :'carol'));
SELECT try_sql(format('SELECT woes.bind_role(NULL, %L, %L)', :'acme', 'analyst'));
SELECT try_sql($$SELECT woes.bind_role('no_such_role', $$ || quote_literal(:'acme') || $$, 'analyst')$$);
-- nothing was bound or changed by the failures
SELECT b.role_name, b.audience, b.actor = :'dave' AS dave FROM woes.role_bindings b ORDER BY 1;
-- allowed: cust as carol (a second binding replaces the first), bi as an
-- analyst of globex, then of acme; the caller's context is kept throughout
SELECT woes.bind_role('cust', :'acme', 'customer', :'carol');
SELECT woes.bind_role('bi', :'globex', 'analyst');
SELECT woes.current_workspace() = :'acme' AS still_acme, woes.current_audience() AS aud;
SELECT woes.bind_role('bi', :'acme', 'analyst');
COMMIT;
-- (read back in a transaction of their own)
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT b.role_name, b.audience, b.workspace_id = :'acme' AS acme, b.actor = :'carol' AS carol
  FROM woes.role_bindings b ORDER BY 1;
COMMIT;
RESET ROLE;
-- the bindings are per-role defaults in this database only
SELECT r.rolname, s.setdatabase = d.oid AS this_database, s.setconfig @> ARRAY['woes.audience=customer'] AS customer
  FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
  JOIN pg_database d ON d.datname = current_database()
 WHERE r.rolname IN ('cust', 'bi') AND s.setdatabase = d.oid ORDER BY 1;

-- a session of cust gets carol's context at login, and only sees carol's
\c - cust
SELECT woes.current_workspace() = :'acme' AS ws, woes.current_audience() AS aud,
       woes.current_actor() = :'carol' AS actor;
SELECT subject FROM woes.conversations ORDER BY 1;
SELECT name FROM woes.contacts ORDER BY 1;
SELECT slug FROM woes.workspaces ORDER BY 1;
-- and cannot change it: not with SET, set_config, SET LOCAL or RESET ...
SET woes.workspace = :'globex';
SET woes.audience = 'operator';
SET woes.actor = '';
SELECT set_config('woes.actor', :'dave', false);
BEGIN;
SET LOCAL woes.audience = 'operator';
ROLLBACK;
RESET woes.actor;
RESET ALL;
DISCARD ALL;
SELECT subject FROM woes.conversations ORDER BY 1;
-- ... nor by giving itself other per-role defaults
ALTER ROLE cust SET woes.audience = 'operator';
ALTER ROLE cust IN DATABASE contrib_regression SET woes.actor = '';
-- ... nor with set_context (no EXECUTE) or clear_context
SELECT woes.set_context(:'acme', 'operator');
SELECT woes.clear_context();
-- ... nor with placeholders set before the library is loaded: the forged
-- values are dropped and the bound context stays
\c - cust
ALTER ROLE cust SET woes.audience = 'operator';
SET woes.workspace = :'globex';
SET woes.audience = 'operator';
SET woes.actor = '';
SELECT subject FROM woes.conversations ORDER BY 1;
SELECT woes.current_audience() AS aud, woes.current_actor() = :'carol' AS still_carol;
-- bi, bound to the analyst audience
\c - bi
SELECT current_setting('woes.audience') AS aud, count(*) AS conversations
  FROM woes_bi.conversation_metrics WHERE number IS NOT NULL;
-- no subject (no USAGE on schema woes; on Citus, where it has, no privilege)
\set VERBOSITY sqlstate
SELECT subject FROM woes.conversations;
\set VERBOSITY terse

-- unbind: true when there was a binding, then false; the next session of
-- cust has no context
\c - boss
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT woes.unbind_role('cust') AS unbound;
SELECT woes.unbind_role('cust') AS unbound_again;
SELECT woes.unbind_role('bi') AS bi_unbound;
SELECT try_sql('SELECT woes.unbind_role(NULL)');
COMMIT;
BEGIN;
SELECT woes.set_context(:'acme', 'admin');
SELECT count(*) AS bindings FROM woes.role_bindings;
COMMIT;
\c - cust
SELECT woes.current_workspace() IS NULL AS no_ws, count(*) AS visible FROM woes.conversations;
\c - :su
SELECT count(*) AS role_settings FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
 WHERE r.rolname IN ('cust', 'bi')
   AND s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database());

-- clean up the roles of this suite
REVOKE ALL ON woes.conversations FROM cust, nosy;
REVOKE ALL ON woes.contacts FROM cust, nosy;
REVOKE ALL ON woes.workspaces FROM cust, nosy;
REVOKE EXECUTE ON FUNCTION woes.set_context(uuid, woes.audience, uuid, boolean) FROM nosy;
REVOKE USAGE ON SCHEMA woes FROM cust, nosy;
DROP ROLE cust, nosy, sneaky, root_like;

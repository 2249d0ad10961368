-- Handoff and outbox schema: the policies on the history and the outbox,
-- privileges that leave them written only by the triggers (no role of the
-- extension may INSERT, UPDATE, DELETE or TRUNCATE them, nor draw event ids),
-- and who may execute the handoff and outbox functions.  Runs in one
-- transaction that is rolled back, so it leaves the database as it found it.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS woes;

SELECT plan(60);

-- policies: workspace isolation (RESTRICTIVE, every command) and one
-- read policy each; no policy that would let anyone write
SELECT policies_are('woes', 'handoff_events', ARRAY['workspace_isolation', 'handoff_events_read']);
SELECT policies_are('woes', 'events', ARRAY['workspace_isolation', 'events_read']);
SELECT policies_are('woes', 'status_events', ARRAY['workspace_isolation', 'status_events_read']);
SELECT policy_cmd_is('woes', 'handoff_events', 'handoff_events_read', 'SELECT', 'handoff_events: handoff_events_read applies to SELECT');
SELECT policy_cmd_is('woes', 'events', 'events_read', 'SELECT', 'events: events_read applies to SELECT');
SELECT policy_cmd_is('woes', 'handoff_events', 'workspace_isolation', 'ALL', 'handoff_events: workspace_isolation applies to ALL');
SELECT policy_cmd_is('woes', 'events', 'workspace_isolation', 'ALL', 'events: workspace_isolation applies to ALL');
SELECT is((SELECT permissive FROM pg_policies
            WHERE schemaname = 'woes' AND tablename = 'handoff_events' AND policyname = 'workspace_isolation'),
          'RESTRICTIVE', 'handoff_events: workspace isolation is RESTRICTIVE');
SELECT is((SELECT permissive FROM pg_policies
            WHERE schemaname = 'woes' AND tablename = 'events' AND policyname = 'workspace_isolation'),
          'RESTRICTIVE', 'events: workspace isolation is RESTRICTIVE');
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'woes.handoff_events'::regclass),
          'handoff_events: row-level security enabled and forced');
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'woes.events'::regclass),
          'events: row-level security enabled and forced');

-- table privileges: read only, for those who may read; nothing for PUBLIC
SELECT table_privs_are('woes', 'handoff_events', 'woes_service', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'handoff_events', 'woes_admin', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'handoff_events', 'woes_analyst', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'handoff_events', 'public', ARRAY[]::name[]);
SELECT table_privs_are('woes', 'events', 'woes_service', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'events', 'woes_admin', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'events', 'woes_analyst', ARRAY[]::name[]);
SELECT table_privs_are('woes', 'events', 'public', ARRAY[]::name[]);
SELECT table_privs_are('woes', 'status_events', 'woes_service', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'status_events', 'woes_admin', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'status_events', 'woes_analyst', ARRAY['SELECT']);
SELECT table_privs_are('woes', 'status_events', 'public', ARRAY[]::name[]);
-- the outbox's indexes: its key (the stream) and the resolutions (the
-- warehouse export), partial, so that other events pay nothing for it
SELECT indexes_are('woes', 'events', ARRAY['events_pkey', 'events_resolutions_idx'],
                   'events has its key and the partial resolutions index');
SELECT ok((SELECT indpred IS NOT NULL FROM pg_index WHERE indexrelid = 'woes.events_resolutions_idx'::regclass),
          'events_resolutions_idx is partial');
-- event ids are drawn by the trigger as the owner: nobody else may
SELECT sequence_privs_are('woes', 'events_id_seq', 'woes_service', ARRAY[]::name[]);
SELECT sequence_privs_are('woes', 'events_id_seq', 'woes_admin', ARRAY[]::name[]);
SELECT sequence_privs_are('woes', 'events_id_seq', 'woes_analyst', ARRAY[]::name[]);
SELECT sequence_privs_are('woes', 'events_id_seq', 'public', ARRAY[]::name[]);

-- handoff(): the internal compare-and-set, not PUBLIC; SECURITY INVOKER (it
-- acts as the owner only after it was sent to the tenant's node on Citus,
-- which must happen as the caller, see woes_forward_call)
SELECT function_privs_are('woes', 'handoff', ARRAY['uuid', 'woes.control', 'text', 'uuid'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'handoff', ARRAY['uuid', 'woes.control', 'text', 'uuid'], 'woes_analyst', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'handoff', ARRAY['uuid', 'woes.control', 'text', 'uuid'], 'woes_service', ARRAY['EXECUTE']);
SELECT isnt_definer('woes', 'handoff', ARRAY['uuid', 'woes.control', 'text', 'uuid']);

-- the handoff API: the backend and admins
SELECT function_privs_are('woes', 'request_handoff', ARRAY['uuid', 'text'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'request_handoff', ARRAY['uuid', 'text'], 'woes_service', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'take_over', ARRAY['uuid'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'take_over', ARRAY['uuid'], 'woes_service', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'take_over', ARRAY['uuid'], 'woes_analyst', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'release_to_automation', ARRAY['uuid'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'release_to_automation', ARRAY['uuid'], 'woes_admin', ARRAY['EXECUTE']);

-- the outbox readers: woes_service and woes_admin only
SELECT function_privs_are('woes', 'event_horizon', ARRAY['uuid'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'event_horizon', ARRAY['uuid'], 'woes_analyst', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'event_horizon', ARRAY['uuid'], 'woes_service', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'event_horizon', ARRAY['uuid'], 'woes_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'events_since', ARRAY['bigint', 'integer'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'events_since', ARRAY['bigint', 'integer'], 'woes_analyst', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'events_since', ARRAY['bigint', 'integer'], 'woes_service', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'events_since', ARRAY['bigint', 'integer'], 'woes_admin', ARRAY['EXECUTE']);
SELECT function_privs_are('woes', 'resolved_conversations', ARRAY['bigint', 'integer'], 'public', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'resolved_conversations', ARRAY['bigint', 'integer'], 'woes_analyst', ARRAY[]::name[]);
SELECT function_privs_are('woes', 'resolved_conversations', ARRAY['bigint', 'integer'], 'woes_service', ARRAY['EXECUTE']);
-- events_since runs as the caller (so the read policy applies); the horizon
-- reads the sequence as the owner
SELECT isnt_definer('woes', 'events_since', ARRAY['bigint', 'integer']);
SELECT isnt_definer('woes', 'resolved_conversations', ARRAY['bigint', 'integer']);
SELECT isnt_definer('woes', 'event_horizon', ARRAY['uuid']);
SELECT volatility_is('woes', 'events_since', ARRAY['bigint', 'integer'], 'volatile');
SELECT volatility_is('woes', 'event_horizon', ARRAY['uuid'], 'volatile');

-- every SQL-language function of this feature pins its search_path
SELECT is(array_agg(p.proname::text ORDER BY p.proname), NULL,
          'handoff and outbox SQL functions all SET search_path')
  FROM pg_proc p
 WHERE p.pronamespace = 'woes'::regnamespace
   AND p.proname IN ('request_handoff', 'take_over', 'release_to_automation',
                     'resolved_conversations')
   AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false);

-- the tables are registered for pg_dump (the outbox and its sequence too)
SELECT ok('woes.handoff_events'::regclass = ANY (e.extconfig), 'handoff_events is registered for pg_dump')
  FROM pg_extension e WHERE e.extname = 'woes';
SELECT ok('woes.events'::regclass = ANY (e.extconfig), 'events is registered for pg_dump')
  FROM pg_extension e WHERE e.extname = 'woes';
SELECT ok('woes.events_id_seq'::regclass = ANY (e.extconfig), 'events_id_seq is registered for pg_dump')
  FROM pg_extension e WHERE e.extname = 'woes';

SELECT * FROM finish();
ROLLBACK;

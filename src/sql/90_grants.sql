
--------------------------------------------------------------------------
-- Privileges.  Nobody but the owner may CREATE in the schema; nobody may
-- TRUNCATE (it ignores row-level security); internal helpers are not
-- executable by PUBLIC.
--------------------------------------------------------------------------

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
-- Analysts (BI tools) get schema woes_bi only: without USAGE here a BI tool
-- lists exactly what it may read.  Their SELECT grants below are what the
-- security_invoker views of woes_bi read through (privileges and policies
-- are checked for the reader; a view's tables need no USAGE on their schema).
GRANT USAGE ON SCHEMA @extschema@ TO woes_service, woes_admin;

REVOKE ALL ON ALL TABLES IN SCHEMA @extschema@ FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    @extschema@.contacts, @extschema@.identities, @extschema@.operators, @extschema@.teams,
    @extschema@.team_members, @extschema@.agents, @extschema@.conversations,
    @extschema@.participants, @extschema@.messages, @extschema@.message_traces,
    @extschema@.thread_refs
    TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.customer_conversations, @extschema@.customer_messages,
    @extschema@.agent_messages, @extschema@.operator_messages, @extschema@.inbox
    TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.workspaces, @extschema@.channels TO woes_service, woes_admin, woes_analyst;
GRANT UPDATE (name, settings) ON @extschema@.workspaces TO woes_admin;
GRANT INSERT, UPDATE, DELETE ON @extschema@.tags TO woes_service, woes_admin;
GRANT INSERT, DELETE ON @extschema@.conversation_tags TO woes_service, woes_admin;
GRANT INSERT, UPDATE, DELETE ON @extschema@.field_definitions, @extschema@.conversation_fields
    TO woes_service, woes_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.macros TO woes_service, woes_admin;
GRANT INSERT, UPDATE, DELETE ON @extschema@.issues, @extschema@.conversation_issues TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.issues, @extschema@.conversation_issues, @extschema@.issue_impact
    TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON @extschema@.issue_state_events, @extschema@.merges TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.reply_times TO woes_service, woes_admin, woes_analyst;
-- the BI schema: every view, in full (57_bi.sql)
GRANT USAGE ON SCHEMA woes_bi TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA woes_bi TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON @extschema@.role_bindings, @extschema@.workspace_counters TO woes_admin;
GRANT SELECT ON @extschema@.status_events, @extschema@.handoff_events, @extschema@.assignments,
    @extschema@.tags, @extschema@.conversation_tags
    TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON @extschema@.operator_loads, @extschema@.field_definitions TO woes_service, woes_admin;
-- custom field values: analysts only in aggregate (the BI schema)
GRANT SELECT ON @extschema@.conversation_fields TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.events TO woes_service, woes_admin;
-- analysts: who and how, never what was said (no subjects, no messages)
GRANT SELECT ON @extschema@.teams TO woes_analyst;
-- operators: not their email (on Citus, where analysts have USAGE on schema
-- woes, the table is within reach by name)
GRANT SELECT (workspace_id, id, name, active, away, created_at) ON @extschema@.operators TO woes_analyst;
GRANT SELECT (workspace_id, id, number, channel, status, control, contact_id, assignee_id, team_id,
              snoozed_until, previous_conversation_id, last_message_at,
              waiting_since, created_at, updated_at, merged_into_id,
              first_customer_message_at, first_response_at, human_clock_from, first_human_response_at,
              first_operator_message_at, first_resolved_at, last_resolved_at, reopen_count,
              assignment_count, first_assigned_at, handoff_requested_at, handoff_taken_at)
    ON @extschema@.conversations TO woes_analyst;

-- Functions: PUBLIC keeps what is harmless (type support, ids, reading its
-- own context); everything else is granted by role.
REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA @extschema@ FROM PUBLIC;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND (p.proname ~ '^(audience|status|visibility|control)_(in|out|recv|send|eq|ne|lt|le|gt|ge|cmp|hash|hash_extended)$'
                OR p.proname OPERATOR(pg_catalog.=) ANY ('{uuid_generate_v7,uuid_v7_time,context_workspace,current_workspace,current_audience,current_actor,in_audience,can_transition,next_statuses,can_see,email_thread_keys,utc_day}'))
    LOOP
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f);
    END LOOP;
END;
$$;

-- policy and API helpers, run as the caller
GRANT EXECUTE ON FUNCTION
    @extschema@.in_workspace(uuid),
    @extschema@.require_audience(@extschema@.audience[], text),
    @extschema@.require_channel(text),
    @extschema@.require_text(text, text, integer),
    @extschema@.thread_keys(text, text),
    @extschema@.handoff(uuid, @extschema@.control, text, uuid),
    @extschema@.tag_for(uuid, text, boolean),
    @extschema@.metrics_from_history(uuid),
    @extschema@.outbox_horizon(text, integer)
    TO woes_service, woes_admin;

GRANT EXECUTE ON FUNCTION
    @extschema@.set_context(uuid, @extschema@.audience, uuid, boolean),
    @extschema@.clear_context(),
    @extschema@.create_workspace(text, text),
    @extschema@.add_operator(text, text),
    @extschema@.add_team(text),
    @extschema@.add_team_member(uuid, uuid),
    @extschema@.add_agent(text, text[]),
    @extschema@.upsert_contact(text, text, text, text),
    @extschema@.transition(uuid, @extschema@.status, text, timestamptz, uuid),
    @extschema@.resolve(uuid, text, uuid),
    @extschema@.reopen(uuid, text, uuid),
    @extschema@.close(uuid, text, uuid),
    @extschema@.set_pending(uuid, text, uuid),
    @extschema@.snooze(uuid, timestamptz, text, uuid),
    @extschema@.wake_snoozed(timestamptz),
    @extschema@.receive_message(text, text, text, text, text, text, timestamptz, uuid),
    @extschema@.start_conversation(uuid, text, text, text),
    @extschema@.reply(uuid, text, @extschema@.visibility, jsonb, jsonb),
    @extschema@.add_note(uuid, text),
    @extschema@.redact_message(uuid, text),
    @extschema@.erase_contact(uuid),
    @extschema@.request_handoff(uuid, text),
    @extschema@.take_over(uuid),
    @extschema@.release_to_automation(uuid),
    @extschema@.assign(uuid, uuid, uuid, text),
    @extschema@.unassign(uuid, text),
    @extschema@.route(uuid, uuid),
    @extschema@.define_tag(text, text, text),
    @extschema@.tag(uuid, text),
    @extschema@.untag(uuid, text),
    @extschema@.define_field(text, text, jsonb, boolean),
    @extschema@.drop_field(text, boolean),
    @extschema@.set_field(uuid, text, jsonb),
    @extschema@.fields(uuid),
    @extschema@.field_problem(text, text[], jsonb),
    @extschema@.macro_problem(jsonb),
    @extschema@.define_macro(text, jsonb, text),
    @extschema@.apply_macro(uuid, text),
    @extschema@.link_issue(uuid, text, text, text, text),
    @extschema@.unlink_issue(uuid, uuid),
    @extschema@.set_issue_state(uuid, text, text),
    @extschema@.merge(uuid, uuid, text),
    @extschema@.verify_metrics(),
    @extschema@.event_horizon(uuid),
    @extschema@.events_since(bigint, integer),
    @extschema@.resolved_conversations(bigint, integer)
    TO woes_service, woes_admin;

GRANT EXECUTE ON FUNCTION
    @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid),
    @extschema@.unbind_role(regrole),
    @extschema@.reapply_role_bindings(),
    @extschema@.doctor(),
    @extschema@.policy_fingerprint(oid),
    @extschema@.citus_tables(),
    @extschema@.shard_policy_offenders(),
    @extschema@.shard_privilege_offenders()
    TO woes_admin;

-- the custom fields in aggregate, for the views of woes_bi (no
-- conversation's own value)
GRANT EXECUTE ON FUNCTION @extschema@.field_stats() TO woes_service, woes_admin, woes_analyst;

-- The context settings: woes_service and woes_admin may SET LOCAL them
-- directly (the path Citus forwards to workers); nobody else may.
DO $$
BEGIN
    IF pg_catalog.current_setting('server_version_num')::int >= 150000 THEN
        GRANT SET ON PARAMETER woes.workspace, woes.audience, woes.actor TO woes_service, woes_admin;
    END IF;
END;
$$;

-- woes's rules apply on every write path: a SQL API function runs with
-- row_security on whatever its caller set (the C API does the same in
-- code), so no session can make the triggers take a call for a restore
-- (see woes.restoring()).  Trigger functions are left alone: they are
-- where a real restore is recognised.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN
        SELECT p.oid FROM pg_catalog.pg_proc p
         WHERE p.pronamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND p.provolatile OPERATOR(pg_catalog.=) 'v'
           AND p.prolang OPERATOR(pg_catalog.<>) (SELECT l.oid FROM pg_catalog.pg_language l
                                                   WHERE l.lanname OPERATOR(pg_catalog.=) 'c')
           AND p.prorettype OPERATOR(pg_catalog.<>) 'pg_catalog.trigger'::pg_catalog.regtype
    LOOP
        EXECUTE format('ALTER FUNCTION %s SET row_security = on', f);
    END LOOP;
END;
$$;

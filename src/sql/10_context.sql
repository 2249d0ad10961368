
--------------------------------------------------------------------------
-- The context (src/context.c): settings woes.workspace, woes.audience and
-- woes.actor, superuser-only, set by set_context() after a membership check
-- or by SET LOCAL by roles granted SET on them (woes_service, woes_admin).
--------------------------------------------------------------------------

-- The roles (cluster-wide, so created only if missing; NOLOGIN groups).
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'woes_service') THEN
        CREATE ROLE woes_service NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'woes_admin') THEN
        CREATE ROLE woes_admin NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname OPERATOR(pg_catalog.=) 'woes_analyst') THEN
        CREATE ROLE woes_analyst NOLOGIN;
    END IF;
END;
$$;
COMMENT ON ROLE woes_service IS 'woes: trusted application backends (may set the context)';
COMMENT ON ROLE woes_admin IS 'woes: administrators (any workspace, one at a time; the admin audience)';
COMMENT ON ROLE woes_analyst IS 'woes: BI tools (analytics, no message bodies)';

CREATE FUNCTION @extschema@.set_context(workspace uuid, audience @extschema@.audience,
                                        actor uuid DEFAULT NULL, local boolean DEFAULT true)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_set_context'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
-- Not STRICT: a NULL actor is normal; NULL workspace/audience get a clear error.
COMMENT ON FUNCTION @extschema@.set_context(uuid, @extschema@.audience, uuid, boolean) IS
    'Act for a workspace, audience and actor until the end of the transaction (local => false: the session); members of woes_service and woes_admin only';

CREATE FUNCTION @extschema@.switch_context(workspace text, audience text, actor text) RETURNS void
    AS 'MODULE_PATHNAME', 'woes_switch_context'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.switch_context(text, text, text) IS
    'Internal: set the context settings for the rest of the transaction, unchecked, also on Citus workers (for woes''s own SECURITY DEFINER functions; owner only)';

CREATE FUNCTION @extschema@.clear_context() RETURNS void
    AS 'MODULE_PATHNAME', 'woes_clear_context'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.clear_context() IS
    'Act for no workspace until the end of the transaction: nothing is visible and every write fails';

CREATE FUNCTION @extschema@.context_workspace() RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_context_workspace_sql'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.context_workspace() IS
    'The context''s workspace, or WO001 without a context: the default of every workspace_id column (on Citus the coordinator evaluates it to route a row)';

CREATE FUNCTION @extschema@.current_workspace() RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_current_workspace'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.current_workspace() IS
    'The workspace of the context, or NULL';

CREATE FUNCTION @extschema@.current_audience() RETURNS @extschema@.audience
    AS 'MODULE_PATHNAME', 'woes_current_audience'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.current_audience() IS
    'The audience of the context, or NULL';

CREATE FUNCTION @extschema@.current_actor() RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_current_actor'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.current_actor() IS
    'The actor of the context (a contact, agent or operator id), or NULL';

CREATE FUNCTION @extschema@.in_audience_support(internal) RETURNS internal
    AS 'MODULE_PATHNAME', 'woes_in_audience_support'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.in_audience_support(internal) IS
    'Internal: planner support of in_audience (selectivity 1: it passes all rows or none)';

CREATE FUNCTION @extschema@.in_audience(allowed @extschema@.audience[]) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_in_audience'
    LANGUAGE C STABLE PARALLEL SAFE LEAKPROOF COST 1
    SUPPORT @extschema@.in_audience_support;
-- not STRICT: a NULL array is false, like no context
COMMENT ON FUNCTION @extschema@.in_audience(@extschema@.audience[]) IS
    'Whether the context''s audience is one of allowed (false without a context); the audience test of every policy';

-- Internal: the WITH CHECK half of every isolation policy.  It must stay
-- executable by every role that may write (policies run as the caller).
CREATE FUNCTION @extschema@.in_workspace(workspace_id uuid) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_in_workspace'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.in_workspace(uuid) IS
    'Internal (isolation policies): true for a row of the current workspace, else the error WO002 (or WO001 without a context)';

-- Internal trigger functions.
CREATE FUNCTION @extschema@.require_context() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_require_context_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.require_context() IS
    'Internal trigger: a write without a woes context fails with WO001';

CREATE FUNCTION @extschema@.assign_id() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_assign_id_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.assign_id() IS
    'Internal trigger: a new row gets its uuid id from woes; a supplied id is refused (428C9) except in the admin audience and in a restore';

CREATE FUNCTION @extschema@.check_context(workspace uuid, audience @extschema@.audience, actor uuid)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_check_context_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.check_context(uuid, @extschema@.audience, uuid) IS
    'Internal: the check of a context (the workspace exists; customer and agent need an actor; the actor is a contact, agent or operator of the workspace), WO004; used by bind_role';

CREATE FUNCTION @extschema@.restoring() RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_restoring_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.restoring() IS
    'Internal: whether a restore is loading rows (row_security off in a session whose own role is a superuser or BYPASSRLS); the triggers then keep rows as dumped';

CREATE FUNCTION @extschema@.guard_update() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_guard_update_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.guard_update() IS
    'Internal trigger: the columns named as arguments never change (WO006); updated_at is stamped';

CREATE FUNCTION @extschema@.link_event() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_link_event'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.link_event() IS
    'Internal trigger (AFTER INSERT OR DELETE on a link table, arguments: the insert and delete event kinds and the linked id column): an outbox event for every link made or removed';

-- Internal: refuse a call outside the given audiences, with the reason (the
-- same C check and error the C API functions use).
CREATE FUNCTION @extschema@.require_audience(allowed @extschema@.audience[], action text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_require_audience_sql'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.require_audience(@extschema@.audience[], text) IS
    'Internal: raise WO001 without a context, WO003 when the current audience is not one of allowed';

--------------------------------------------------------------------------
-- Macros: a named list of actions an operator applies to a conversation in
-- one step ("close as duplicate", "escalate to billing").  The actions are
-- a JSON array; each element names its action and its arguments:
--
--   {"action": "reply",      "body": "..."}                  public reply
--   {"action": "note",       "body": "..."}                  internal note
--   {"action": "tag",        "tag": "name"}
--   {"action": "untag",      "tag": "name"}
--   {"action": "assign",     "operator": "uuid", "team": "uuid"}  (either or both)
--   {"action": "route",      "team": "uuid"}
--   {"action": "set_field",  "key": "key", "value": <json>}   (null unsets)
--   {"action": "transition", "status": "resolved", "reason": "...",
--                            "snooze_for": "2 days"}         (snooze_for: snoozed only)
--
-- The shape is checked on every write of a macro (macro_problem(), by a
-- trigger); define_macro also checks what the actions name (operators,
-- teams, fields and their values) in the workspace.  apply_macro runs the
-- actions in order through the public API, with the caller's own rights
-- (SECURITY INVOKER: a macro never does what its caller could not), all
-- or nothing: the first failing action rolls every one back, and the
-- error names the macro, the action's position and kind, and why.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.macros (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100 AND name = btrim(name)),
    actions     jsonb NOT NULL,
    description text CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX macros_name_key ON @extschema@.macros (workspace_id, lower(name));
COMMENT ON TABLE @extschema@.macros IS
    'Macros of a workspace: a name (unique, case-insensitive) and a JSON array of actions that woes.apply_macro runs in order, all or nothing';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.macros
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE POLICY macros_operators ON @extschema@.macros FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY macros_operators ON @extschema@.macros IS
    'Defined by woes. Operators and admins read, define, change and remove macros; nobody else sees them';

-- The shape of an action list: NULL when it is valid, else what is wrong,
-- naming the action by its position (from 1) and kind.
CREATE FUNCTION @extschema@.macro_problem(actions jsonb)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a       jsonb;
    i       integer := 0;
    kind    text;
    allowed text[];
    extra   text;
    what    text;
BEGIN
    IF jsonb_typeof(macro_problem.actions) IS DISTINCT FROM 'array' THEN
        RETURN 'actions must be a JSON array';
    END IF;
    IF jsonb_array_length(macro_problem.actions) NOT BETWEEN 1 AND 50 THEN
        RETURN 'a macro has 1 to 50 actions';
    END IF;
    FOR a IN SELECT e FROM jsonb_array_elements(macro_problem.actions) e LOOP
        i := i + 1;
        IF jsonb_typeof(a) <> 'object' OR jsonb_typeof(a -> 'action') IS DISTINCT FROM 'string' THEN
            RETURN format('action %s: an action is an object with an "action" name', i);
        END IF;
        kind := a ->> 'action';
        what := format('action %s (%s)', i, kind);
        allowed := CASE kind
            WHEN 'reply' THEN '{action,body}'
            WHEN 'note' THEN '{action,body}'
            WHEN 'tag' THEN '{action,tag}'
            WHEN 'untag' THEN '{action,tag}'
            WHEN 'assign' THEN '{action,operator,team}'
            WHEN 'route' THEN '{action,team}'
            WHEN 'set_field' THEN '{action,key,value}'
            WHEN 'transition' THEN '{action,status,reason,snooze_for}'
        END;
        IF allowed IS NULL THEN
            RETURN format('action %s: unknown action "%s" (reply, note, tag, untag, assign, route, set_field, transition)',
                          i, left(kind, 40));
        END IF;
        SELECT k INTO extra FROM jsonb_object_keys(a) k WHERE NOT k = ANY (allowed) ORDER BY k LIMIT 1;
        IF FOUND THEN
            RETURN format('%s: unknown argument "%s"', what, left(extra, 40));
        END IF;
        CASE kind
        WHEN 'reply', 'note' THEN
            IF jsonb_typeof(a -> 'body') IS DISTINCT FROM 'string' OR btrim(a ->> 'body') = '' THEN
                RETURN format('%s: needs a non-empty "body" string', what);
            END IF;
            IF length(a ->> 'body') > 100000 THEN
                RETURN format('%s: a body is at most 100000 characters', what);
            END IF;
        WHEN 'tag', 'untag' THEN
            IF jsonb_typeof(a -> 'tag') IS DISTINCT FROM 'string' OR length(btrim(a ->> 'tag')) NOT BETWEEN 1 AND 100 THEN
                RETURN format('%s: needs a "tag" name of 1 to 100 characters', what);
            END IF;
        WHEN 'assign', 'route' THEN
            IF kind = 'assign' AND NOT (a ? 'operator' OR a ? 'team') THEN
                RETURN format('%s: needs an "operator" or a "team" (or both)', what);
            END IF;
            IF kind = 'route' AND NOT a ? 'team' THEN
                RETURN format('%s: needs a "team"', what);
            END IF;
            SELECT k INTO extra FROM unnest('{operator,team}'::text[]) k
             WHERE a ? k AND (jsonb_typeof(a -> k) IS DISTINCT FROM 'string'
                              OR (a ->> k) !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
             LIMIT 1;
            IF FOUND THEN
                RETURN format('%s: "%s" must be an id (uuid)', what, extra);
            END IF;
        WHEN 'set_field' THEN
            IF jsonb_typeof(a -> 'key') IS DISTINCT FROM 'string' OR NOT a ? 'value' THEN
                RETURN format('%s: needs a "key" and a "value" (null unsets)', what);
            END IF;
        WHEN 'transition' THEN
            IF jsonb_typeof(a -> 'status') IS DISTINCT FROM 'string'
               OR NOT (a ->> 'status') = ANY ('{open,pending,snoozed,resolved,closed}') THEN
                RETURN format('%s: needs a "status": open, pending, snoozed, resolved or closed', what);
            END IF;
            IF a ? 'reason' AND (jsonb_typeof(a -> 'reason') IS DISTINCT FROM 'string' OR length(a ->> 'reason') > 1000) THEN
                RETURN format('%s: a "reason" is a string of at most 1000 characters', what);
            END IF;
            IF (a ->> 'status' = 'snoozed') <> (a ? 'snooze_for') THEN
                RETURN format('%s: "snooze_for" (e.g. "2 days") goes with status snoozed, and only there', what);
            END IF;
            IF a ? 'snooze_for' AND (jsonb_typeof(a -> 'snooze_for') IS DISTINCT FROM 'string'
                 OR (a ->> 'snooze_for') !~ '^[1-9][0-9]{0,4} (minute|minutes|hour|hours|day|days|week|weeks)$') THEN
                RETURN format('%s: "snooze_for" is a count and a unit, e.g. "30 minutes", "2 days", "1 week"', what);
            END IF;
        END CASE;
    END LOOP;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.macro_problem(jsonb) IS
    'Why a macro''s action list is not valid (NULL when it is), naming the action by position and kind; the shape every macro write is held to';

CREATE FUNCTION @extschema@.macro_check() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    problem text := @extschema@.macro_problem(NEW.actions);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid macro "%": %', NEW.name, problem USING ERRCODE = 'WO605',
            HINT = 'See the README, "Macros", for the actions and their arguments.';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.macro_check() IS
    'Internal trigger: a macro''s actions have a valid shape (macro_problem), whoever writes it';
CREATE TRIGGER macro_check BEFORE INSERT OR UPDATE OF actions ON @extschema@.macros
    FOR EACH ROW EXECUTE FUNCTION @extschema@.macro_check();

CREATE FUNCTION @extschema@.define_macro(name text, actions jsonb, description text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws      uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    a       jsonb;
    i       integer := 0;
    what    text;
    problem text;
    ftype   text;
    fopts   text[];
    macro_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'defining a macro');
    PERFORM @extschema@.require_text(btrim(define_macro.name), 'macro name', 100);
    IF length(define_macro.description) > 1000 THEN
        RAISE EXCEPTION 'invalid macro description' USING ERRCODE = 'WO007',
            HINT = 'A description is at most 1000 characters.';
    END IF;
    problem := @extschema@.macro_problem(define_macro.actions);
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'invalid macro "%": %', btrim(define_macro.name), problem USING ERRCODE = 'WO605',
            HINT = 'See the README, "Macros", for the actions and their arguments.';
    END IF;
    -- what the actions name must exist in this workspace now (apply_macro
    -- checks again, through the API, when it runs)
    FOR a IN SELECT e FROM jsonb_array_elements(define_macro.actions) e LOOP
        i := i + 1;
        what := format('action %s (%s)', i, a ->> 'action');
        IF a ? 'operator' AND NOT EXISTS (SELECT FROM @extschema@.operators o
                                           WHERE o.workspace_id = ws AND o.id = (a ->> 'operator')::uuid AND o.active) THEN
            RAISE EXCEPTION 'invalid macro "%": %: operator % is not an active operator of this workspace',
                            btrim(define_macro.name), what, a ->> 'operator' USING ERRCODE = 'WO605';
        END IF;
        IF a ? 'team' AND NOT EXISTS (SELECT FROM @extschema@.teams t
                                       WHERE t.workspace_id = ws AND t.id = (a ->> 'team')::uuid) THEN
            RAISE EXCEPTION 'invalid macro "%": %: team % not found in this workspace',
                            btrim(define_macro.name), what, a ->> 'team' USING ERRCODE = 'WO605';
        END IF;
        IF a ->> 'action' = 'set_field' THEN
            SELECT d.type, d.options INTO ftype, fopts FROM @extschema@.field_definitions d
             WHERE d.workspace_id = ws AND d.key = a ->> 'key';
            IF NOT FOUND THEN
                RAISE EXCEPTION 'invalid macro "%": %: unknown field "%"', btrim(define_macro.name), what, a ->> 'key'
                    USING ERRCODE = 'WO605';
            END IF;
            problem := CASE WHEN jsonb_typeof(a -> 'value') = 'null' OR a -> 'value' = '[]' THEN NULL
                            ELSE @extschema@.field_problem(ftype, fopts, a -> 'value') END;
            IF problem IS NOT NULL THEN
                RAISE EXCEPTION 'invalid macro "%": %: invalid value for field "%": %', btrim(define_macro.name), what,
                                a ->> 'key', problem USING ERRCODE = 'WO605';
            END IF;
        END IF;
    END LOOP;
    INSERT INTO @extschema@.macros AS m (workspace_id, name, actions, description)
    VALUES (ws, btrim(define_macro.name), define_macro.actions, define_macro.description)
    ON CONFLICT (workspace_id, lower(name)) DO UPDATE
       SET name = EXCLUDED.name, actions = EXCLUDED.actions,
           description = coalesce(EXCLUDED.description, m.description)
    RETURNING m.id INTO macro_id;
    RETURN macro_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.define_macro(text, jsonb, text) IS
    'Define a macro (or replace the actions of the one of that name, case-insensitive): its actions are checked now, their shape and what they name; returns its id';

CREATE FUNCTION @extschema@.apply_macro(conversation uuid, macro text)
    RETURNS jsonb
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws      uuid := @extschema@.current_workspace();
    m       record;
    a       jsonb;
    i       integer := 0;
    kind    text;
    done    jsonb := '[]';
    result  jsonb;
    st      text;
    msg     text;
    det     text;
    hnt     text;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'applying a macro');
    IF apply_macro.conversation IS NULL OR apply_macro.macro IS NULL THEN
        RAISE EXCEPTION 'conversation and macro must not be null' USING ERRCODE = 'WO007';
    END IF;
    SELECT mc.id, mc.name, mc.actions INTO m FROM @extschema@.macros mc
     WHERE mc.workspace_id = ws
       AND (lower(mc.name) = lower(btrim(apply_macro.macro)) OR mc.id::text = lower(btrim(apply_macro.macro)));
    IF NOT FOUND THEN
        RAISE EXCEPTION 'macro "%" not found in this workspace', left(apply_macro.macro, 100) USING ERRCODE = 'WO005';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id = ws AND c.id = apply_macro.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', apply_macro.conversation USING ERRCODE = 'WO005';
    END IF;
    BEGIN
        FOR a IN SELECT e FROM jsonb_array_elements(m.actions) e LOOP
            i := i + 1;
            kind := a ->> 'action';
            result := jsonb_build_object('action', kind);
            CASE kind
            WHEN 'reply' THEN
                result := result || jsonb_build_object('message_id', @extschema@.reply(apply_macro.conversation, a ->> 'body'));
            WHEN 'note' THEN
                result := result || jsonb_build_object('message_id', @extschema@.add_note(apply_macro.conversation, a ->> 'body'));
            WHEN 'tag' THEN
                result := result || jsonb_build_object('tag', a ->> 'tag',
                                                       'changed', @extschema@.tag(apply_macro.conversation, a ->> 'tag'));
            WHEN 'untag' THEN
                result := result || jsonb_build_object('tag', a ->> 'tag',
                                                       'changed', @extschema@.untag(apply_macro.conversation, a ->> 'tag'));
            WHEN 'assign' THEN
                result := result || jsonb_build_object('changed',
                    @extschema@.assign(apply_macro.conversation, (a ->> 'operator')::uuid, (a ->> 'team')::uuid,
                                       format('macro "%s"', m.name)));
            WHEN 'route' THEN
                result := result || jsonb_build_object('operator_id',
                    @extschema@.route(apply_macro.conversation, (a ->> 'team')::uuid));
            WHEN 'set_field' THEN
                result := result || jsonb_build_object('key', a ->> 'key',
                    'changed', @extschema@.set_field(apply_macro.conversation, a ->> 'key', a -> 'value'));
            WHEN 'transition' THEN
                result := result || jsonb_build_object('status', a ->> 'status',
                    'changed', @extschema@.transition(apply_macro.conversation, (a ->> 'status')::@extschema@.status,
                                                      coalesce(a ->> 'reason', format('macro "%s"', m.name)),
                                                      now() + (a ->> 'snooze_for')::interval));
            ELSE
                -- macro_problem() refuses every other kind when a macro is written
                RAISE EXCEPTION 'unknown action "%"', kind USING ERRCODE = 'WO605';
            END CASE;
            done := done || jsonb_build_array(result);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        -- the whole macro is undone (this statement fails); say which action failed
        GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
                                det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
        IF coalesce(hnt, '') = '' THEN
            RAISE EXCEPTION 'macro "%", action % (%): %', m.name, i, kind, msg
                USING ERRCODE = st, DETAIL = coalesce(nullif(det, ''), 'No action of the macro was applied.');
        END IF;
        RAISE EXCEPTION 'macro "%", action % (%): %', m.name, i, kind, msg
            USING ERRCODE = st, DETAIL = coalesce(nullif(det, ''), 'No action of the macro was applied.'), HINT = hnt;
    END;
    RETURN done;
END;
$$;
COMMENT ON FUNCTION @extschema@.apply_macro(uuid, text) IS
    'Apply a macro (by name, case-insensitive, or id) to a conversation: its actions in order, with the caller''s own rights, all or nothing; returns what each action did';

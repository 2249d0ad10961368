--------------------------------------------------------------------------
-- Typed custom fields: per-workspace definitions (a key, immutable and
-- unique per workspace; a type; options for the select types; required)
-- and the values, one row per conversation and key.  The values live in a
-- table of their own, which no customer policy reaches (row-level security
-- cannot hide a column of woes.conversations from a customer who may read
-- the row).  One rule decides whether a value is valid, field_problem();
-- the value trigger (field_value(), src/fields.c) applies it on every
-- write, and a definition may change only where every stored value stays
-- valid under it.  Resolving needs every required field set (the
-- conversation hook in src/fields.c).
--------------------------------------------------------------------------

CREATE TABLE @extschema@.field_definitions (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    key         text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    type        text NOT NULL CHECK (type IN ('text', 'number', 'boolean', 'date', 'select', 'multi_select')),
    options     text[],
    required    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, key)
);
COMMENT ON TABLE @extschema@.field_definitions IS
    'Custom field definitions of a workspace: key (immutable, unique), type (text, number, boolean, date, select, multi_select), options (the select types), required (to resolve)';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.field_definitions
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'key', 'created_at');

CREATE POLICY field_definitions_read ON @extschema@.field_definitions FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY field_definitions_read ON @extschema@.field_definitions IS
    'Defined by woes. Agents, operators, analysts and admins read the field definitions; customers never';
CREATE POLICY field_definitions_write ON @extschema@.field_definitions FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY field_definitions_write ON @extschema@.field_definitions IS
    'Defined by woes. Operators and admins define, change and remove fields';

CREATE TABLE @extschema@.conversation_fields (
    workspace_id    uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    conversation_id uuid NOT NULL,
    key             text NOT NULL,
    value           jsonb NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, key),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    -- a definition with values is not removed (field_definition_check says
    -- why first); this is the backstop
    FOREIGN KEY (workspace_id, key)
        REFERENCES @extschema@.field_definitions (workspace_id, key)
);
-- the values of one field (a definition change checks them)
CREATE INDEX conversation_fields_key_idx ON @extschema@.conversation_fields (workspace_id, key);
COMMENT ON TABLE @extschema@.conversation_fields IS
    'Custom field values, one row per conversation and field key; each value is valid for its definition (checked on every write); a change writes conversation.field_changed';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversation_fields
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'key');

-- analysts get values only as aggregates (the BI schema), never a
-- conversation's own: a text field may hold what identifies a customer
CREATE POLICY conversation_fields_read ON @extschema@.conversation_fields FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversation_fields_read ON @extschema@.conversation_fields IS
    'Defined by woes. Agents, operators and admins read the field values; analysts only in aggregate; customers never';
CREATE POLICY conversation_fields_write ON @extschema@.conversation_fields FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY conversation_fields_write ON @extschema@.conversation_fields IS
    'Defined by woes. Operators and admins set and unset field values';

-- The one rule: NULL when value is valid for a field of this type and
-- these options, else why not (the text of the error).
CREATE FUNCTION @extschema@.field_problem(type text, options text[], value jsonb)
    RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    kind text := jsonb_typeof(field_problem.value);
    s    text;
    n    integer;
BEGIN
    IF kind IS NULL OR kind = 'null' THEN
        RETURN 'a value cannot be null (unset the field instead)';
    END IF;
    IF field_problem.type IN ('select', 'multi_select')
       AND (field_problem.options IS NULL OR array_position(field_problem.options, NULL) IS NOT NULL) THEN
        RETURN 'the field has no valid options';
    END IF;
    CASE field_problem.type
    WHEN 'text' THEN
        IF kind <> 'string' THEN
            RETURN format('expected a string, got %s', kind);
        END IF;
        IF length(field_problem.value #>> '{}') > 10000 THEN
            RETURN 'a text value is at most 10000 characters';
        END IF;
    WHEN 'number' THEN
        IF kind <> 'number' THEN
            RETURN format('expected a number, got %s', kind);
        END IF;
    WHEN 'boolean' THEN
        IF kind <> 'boolean' THEN
            RETURN format('expected true or false, got %s', kind);
        END IF;
    WHEN 'date' THEN
        s := field_problem.value #>> '{}';
        IF kind <> 'string' OR s !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN
            RETURN format('expected a date as "YYYY-MM-DD", got %s', left(field_problem.value::text, 40));
        END IF;
        -- a real day, without casting (a cast error would not name the field)
        IF substr(s, 1, 4)::integer < 1 OR substr(s, 6, 2)::integer NOT BETWEEN 1 AND 12
           OR substr(s, 9, 2)::integer NOT BETWEEN 1 AND
              extract(day FROM make_date(substr(s, 1, 4)::integer, substr(s, 6, 2)::integer, 1)
                               + interval '1 month - 1 day')::integer THEN
            RETURN format('%s is not a date', s);
        END IF;
    WHEN 'select' THEN
        IF kind <> 'string' THEN
            RETURN format('expected one of the options as a string, got %s', kind);
        END IF;
        IF NOT (field_problem.value #>> '{}') = ANY (field_problem.options) THEN
            RETURN format('"%s" is not one of the options (%s)', left(field_problem.value #>> '{}', 200),
                          array_to_string(field_problem.options, ', '));
        END IF;
    WHEN 'multi_select' THEN
        IF kind <> 'array' THEN
            RETURN format('expected an array of options, got %s', kind);
        END IF;
        IF jsonb_array_length(field_problem.value) = 0 THEN
            RETURN 'an empty selection is no value (unset the field instead)';
        END IF;
        SELECT e INTO s FROM jsonb_array_elements(field_problem.value) e
         WHERE jsonb_typeof(e) <> 'string' LIMIT 1;
        IF FOUND THEN
            RETURN format('expected an array of options, got an element %s', left(s, 40));
        END IF;
        SELECT e INTO s FROM jsonb_array_elements_text(field_problem.value) e
         WHERE NOT e = ANY (field_problem.options) LIMIT 1;
        IF FOUND THEN
            RETURN format('"%s" is not one of the options (%s)', left(s, 200),
                          array_to_string(field_problem.options, ', '));
        END IF;
        SELECT count(*) - count(DISTINCT e) INTO n FROM jsonb_array_elements_text(field_problem.value) e;
        IF n > 0 THEN
            RETURN 'an option is selected twice';
        END IF;
    ELSE
        RETURN format('unknown field type %s', field_problem.type);
    END CASE;
    RETURN NULL;
END;
$$;
COMMENT ON FUNCTION @extschema@.field_problem(text, text[], jsonb) IS
    'Why value is not valid for a custom field of this type and options (NULL when it is): the one rule for every value and every definition change';

-- A definition, by any path: options only (and always) for the select
-- types; a change of type or options only where every stored value stays
-- valid; removal only without values.
CREATE FUNCTION @extschema@.field_definition_check() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d       record := CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    n       bigint;
    problem text;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN d;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT count(*) INTO n FROM @extschema@.conversation_fields v
         WHERE v.workspace_id OPERATOR(pg_catalog.=) d.workspace_id AND v.key OPERATOR(pg_catalog.=) d.key;
        IF n > 0 THEN
            RAISE EXCEPTION 'field "%" is set on % conversation%', d.key, n, CASE WHEN n > 1 THEN 's' ELSE '' END
                USING ERRCODE = 'WO604',
                      HINT = 'woes.drop_field(key, unset => true) unsets the values and removes the field.';
        END IF;
        RETURN d;
    END IF;
    IF d.type IN ('select', 'multi_select') THEN
        IF d.options IS NULL OR cardinality(d.options) = 0 THEN
            RAISE EXCEPTION 'field "%": a % field needs options', d.key, d.type USING ERRCODE = 'WO602',
                HINT = 'Pass them as a JSON array of strings, e.g. ''["low", "high"]''.';
        END IF;
        IF cardinality(d.options) > 500 THEN
            RAISE EXCEPTION 'field "%": at most 500 options', d.key USING ERRCODE = 'WO602';
        END IF;
        IF EXISTS (SELECT FROM unnest(d.options) o WHERE o IS NULL OR length(btrim(o)) NOT BETWEEN 1 AND 200
                                                     OR o <> btrim(o)) THEN
            RAISE EXCEPTION 'field "%": an option is 1 to 200 characters, without leading or trailing spaces', d.key
                USING ERRCODE = 'WO602';
        END IF;
        IF (SELECT count(DISTINCT o) FROM unnest(d.options) o) <> cardinality(d.options) THEN
            RAISE EXCEPTION 'field "%": an option is listed twice', d.key USING ERRCODE = 'WO602';
        END IF;
    ELSIF d.options IS NOT NULL THEN
        RAISE EXCEPTION 'field "%": a % field takes no options', d.key, d.type USING ERRCODE = 'WO602';
    END IF;
    IF TG_OP = 'UPDATE' AND (d.type, d.options) IS DISTINCT FROM (OLD.type, OLD.options) THEN
        -- value writers hold the definition FOR SHARE: this update waited
        -- for them, and each statement here reads what they committed,
        -- which a snapshot older than that (REPEATABLE READ) would not
        IF current_setting('transaction_isolation') <> 'read committed' THEN
            RAISE EXCEPTION 'changing a field''s type or options needs READ COMMITTED' USING ERRCODE = 'WO401',
                HINT = 'Every stored value is checked against the new definition, including values committed meanwhile.';
        END IF;
        SELECT count(*), min(@extschema@.field_problem(d.type, d.options, v.value))
          INTO n, problem
          FROM @extschema@.conversation_fields v
         WHERE v.workspace_id OPERATOR(pg_catalog.=) d.workspace_id AND v.key OPERATOR(pg_catalog.=) d.key
           AND @extschema@.field_problem(d.type, d.options, v.value) IS NOT NULL;
        IF n > 0 THEN
            RAISE EXCEPTION 'field "%": % stored value% would not be valid (%)', d.key, n,
                            CASE WHEN n > 1 THEN 's' ELSE '' END, problem
                USING ERRCODE = 'WO604',
                      HINT = 'Change or unset those values first (woes.set_field), or define a new field.';
        END IF;
    END IF;
    RETURN d;
END;
$$;
COMMENT ON FUNCTION @extschema@.field_definition_check() IS
    'Internal trigger: a field definition''s options fit its type; a change of type or options keeps every stored value valid; a field with values is not removed';
CREATE TRIGGER field_definition_check BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.field_definitions
    FOR EACH ROW EXECUTE FUNCTION @extschema@.field_definition_check();

CREATE FUNCTION @extschema@.field_value() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_field_value'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.field_value() IS
    'Internal trigger: a custom field value is valid for its definition, and a required field of a resolved conversation stays set';
-- named to fire after guard_update
CREATE TRIGGER value_check BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.conversation_fields
    FOR EACH ROW EXECUTE FUNCTION @extschema@.field_value();
CREATE FUNCTION @extschema@.field_event() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_field_event'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.field_event() IS
    'Internal trigger: writes conversation.field_changed (the key and whether it is set, never the value) for every value set, changed or unset';
CREATE TRIGGER field_event AFTER INSERT OR UPDATE OR DELETE ON @extschema@.conversation_fields
    FOR EACH ROW EXECUTE FUNCTION @extschema@.field_event();

CREATE FUNCTION @extschema@.define_field(key text, type text, options jsonb DEFAULT NULL,
                                         required boolean DEFAULT false)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws   uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    opts text[];
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'defining a field');
    IF define_field.key IS NULL OR define_field.key !~ '^[a-z][a-z0-9_]{0,62}$' THEN
        RAISE EXCEPTION 'invalid field key %', coalesce(quote_literal(define_field.key), 'NULL') USING ERRCODE = 'WO007',
            HINT = 'A key is 1 to 63 lower-case letters, digits and underscores, starting with a letter.';
    END IF;
    IF define_field.type IS NULL
       OR define_field.type NOT IN ('text', 'number', 'boolean', 'date', 'select', 'multi_select') THEN
        RAISE EXCEPTION 'invalid field type %', coalesce(quote_literal(define_field.type), 'NULL') USING ERRCODE = 'WO007',
            HINT = 'The types are text, number, boolean, date, select and multi_select.';
    END IF;
    IF define_field.options IS NOT NULL AND jsonb_typeof(define_field.options) <> 'null' THEN
        IF jsonb_typeof(define_field.options) <> 'array'
           OR EXISTS (SELECT FROM jsonb_array_elements(define_field.options) e WHERE jsonb_typeof(e) <> 'string') THEN
            RAISE EXCEPTION 'field "%": options must be a JSON array of strings', define_field.key USING ERRCODE = 'WO602';
        END IF;
        SELECT array_agg(e ORDER BY i) INTO opts
          FROM jsonb_array_elements_text(define_field.options) WITH ORDINALITY AS o(e, i);
        opts := coalesce(opts, '{}');
    END IF;
    INSERT INTO @extschema@.field_definitions AS d (workspace_id, key, type, options, required)
    VALUES (ws, define_field.key, define_field.type, opts, coalesce(define_field.required, false))
    ON CONFLICT (workspace_id, key) DO UPDATE
       SET type = EXCLUDED.type, options = EXCLUDED.options, required = EXCLUDED.required
     WHERE (d.type, d.options, d.required) IS DISTINCT FROM (EXCLUDED.type, EXCLUDED.options, EXCLUDED.required);
END;
$$;
COMMENT ON FUNCTION @extschema@.define_field(text, text, jsonb, boolean) IS
    'Define a custom field of the workspace, or change an existing one''s type, options or required flag (refused where a stored value would become invalid)';

CREATE FUNCTION @extschema@.drop_field(key text, unset boolean DEFAULT false)
    RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws uuid := @extschema@.current_workspace();
    n  integer := 0;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'removing a field');
    -- locked first: no value is set while it goes
    PERFORM FROM @extschema@.field_definitions d
      WHERE d.workspace_id OPERATOR(pg_catalog.=) ws AND d.key OPERATOR(pg_catalog.=) drop_field.key
        FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'unknown field "%"', drop_field.key USING ERRCODE = 'WO602';
    END IF;
    IF drop_field.unset THEN
        -- not required any more, so resolved conversations may lose it too
        UPDATE @extschema@.field_definitions d SET required = false
         WHERE d.workspace_id OPERATOR(pg_catalog.=) ws AND d.key OPERATOR(pg_catalog.=) drop_field.key
           AND d.required;
        DELETE FROM @extschema@.conversation_fields v
         WHERE v.workspace_id OPERATOR(pg_catalog.=) ws AND v.key OPERATOR(pg_catalog.=) drop_field.key;
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    DELETE FROM @extschema@.field_definitions d
     WHERE d.workspace_id OPERATOR(pg_catalog.=) ws AND d.key OPERATOR(pg_catalog.=) drop_field.key;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.drop_field(text, boolean) IS
    'Remove a custom field; refused while conversations have a value for it, unless unset => true, which unsets them first (returns how many)';

CREATE FUNCTION @extschema@.set_field(conversation uuid, key text, value jsonb)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws uuid := @extschema@.current_workspace();
    n  integer;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'setting a field');
    IF set_field.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF set_field.key IS NULL THEN
        RAISE EXCEPTION 'key must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- the conversation first (FOR SHARE), then the value: the order a
    -- resolve takes them in (see src/fields.c)
    PERFORM FROM @extschema@.conversations c
      WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) set_field.conversation
        FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', set_field.conversation USING ERRCODE = 'WO005';
    END IF;
    IF set_field.value IS NULL OR set_field.value = 'null'::jsonb OR set_field.value = '[]'::jsonb THEN
        IF NOT EXISTS (SELECT FROM @extschema@.field_definitions d
                        WHERE d.workspace_id OPERATOR(pg_catalog.=) ws AND d.key OPERATOR(pg_catalog.=) set_field.key) THEN
            RAISE EXCEPTION 'unknown field "%"', set_field.key USING ERRCODE = 'WO602',
                HINT = 'Define it first with woes.define_field(key, type, ...).';
        END IF;
        DELETE FROM @extschema@.conversation_fields v
         WHERE v.workspace_id OPERATOR(pg_catalog.=) ws
           AND v.conversation_id OPERATOR(pg_catalog.=) set_field.conversation
           AND v.key OPERATOR(pg_catalog.=) set_field.key;
    ELSE
        INSERT INTO @extschema@.conversation_fields AS v (workspace_id, conversation_id, key, value)
        VALUES (ws, set_field.conversation, set_field.key, set_field.value)
        ON CONFLICT (workspace_id, conversation_id, key) DO UPDATE
           SET value = EXCLUDED.value
         WHERE v.value OPERATOR(pg_catalog.<>) EXCLUDED.value;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.set_field(uuid, text, jsonb) IS
    'Set a custom field of a conversation (validated against its definition); NULL, JSON null or an empty array unsets it; true if anything changed';

CREATE FUNCTION @extschema@.fields(conversation uuid)
    RETURNS jsonb
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
BEGIN
    RETURN (SELECT coalesce(jsonb_object_agg(v.key, v.value ORDER BY v.key), '{}'::jsonb)
              FROM @extschema@.conversation_fields v
             WHERE v.workspace_id OPERATOR(pg_catalog.=) ws
               AND v.conversation_id OPERATOR(pg_catalog.=) fields.conversation);
END;
$$;
COMMENT ON FUNCTION @extschema@.fields(uuid) IS
    'The custom fields of a conversation as one JSON object (key: value), as the caller may read them ({} for a customer)';

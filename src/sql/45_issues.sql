--------------------------------------------------------------------------
-- Linked issues: product work in a tracker (Linear, GitHub, Jira, an
-- internal one, any provider by name), linked many-to-many to
-- conversations.  An issue is unique per workspace by (provider,
-- external_key); it keeps the provider's raw state and a normalised one
-- (open, in_progress, done, canceled).  A change of the normalised state,
-- by any path, is recorded (issue_state_events) and written to the outbox:
-- issue.state_changed, and conversation.issue_state_changed for each
-- linked conversation still open, so "it shipped" can reach every customer
-- still waiting (woes.issue_state(), src/links.c).  woes.issue_impact
-- answers "which issue hurts most customers now".  Customers see none of
-- it: the tables have no customer policy.
--------------------------------------------------------------------------

CREATE TABLE @extschema@.issues (
    workspace_id     uuid NOT NULL DEFAULT @extschema@.context_workspace()
                     REFERENCES @extschema@.workspaces (id),
    id               uuid NOT NULL,
    provider         text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_.-]{0,39}$'),
    external_key     text NOT NULL CHECK (length(external_key) BETWEEN 1 AND 200 AND external_key = btrim(external_key)),
    url              text CHECK (length(url) BETWEEN 1 AND 2000),
    title            text CHECK (length(title) BETWEEN 1 AND 500),
    provider_state   text CHECK (length(provider_state) BETWEEN 1 AND 100),
    state            text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'in_progress', 'done', 'canceled')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, provider, external_key)
);
COMMENT ON TABLE @extschema@.issues IS
    'Product issues in a tracker, unique per workspace by (provider, external_key), with the provider''s raw state and a normalised state (open, in_progress, done, canceled)';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.issues
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'provider', 'external_key', 'created_at');

CREATE POLICY issues_read ON @extschema@.issues FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY issues_read ON @extschema@.issues IS
    'Defined by woes. Agents, operators, analysts and admins read the linked issues; customers never';
CREATE POLICY issues_add ON @extschema@.issues FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY issues_add ON @extschema@.issues IS
    'Defined by woes. Operators and admins (and trackers'' integrations, in the operator audience) record issues';
CREATE POLICY issues_change ON @extschema@.issues FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY issues_change ON @extschema@.issues IS
    'Defined by woes. Operators and admins (and trackers'' integrations) change issues and their states';
-- removing an issue removes its state history: admins only, like the
-- other histories
CREATE POLICY issues_remove ON @extschema@.issues FOR DELETE
    USING (@extschema@.in_audience('{admin}'));
COMMENT ON POLICY issues_remove ON @extschema@.issues IS
    'Defined by woes. Admins remove issues (with their links and state history)';

CREATE TABLE @extschema@.conversation_issues (
    workspace_id    uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    conversation_id uuid NOT NULL,
    issue_id        uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, issue_id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, issue_id)
        REFERENCES @extschema@.issues (workspace_id, id) ON DELETE CASCADE
);
-- an issue's conversations (issue_impact, the state events)
CREATE INDEX conversation_issues_issue_idx ON @extschema@.conversation_issues (workspace_id, issue_id, conversation_id);
COMMENT ON TABLE @extschema@.conversation_issues IS
    'Which conversations are linked to which issue; a link made or removed writes conversation.issue_linked or conversation.issue_unlinked';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversation_issues
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'issue_id', 'created_at');
CREATE TRIGGER issue_link_event AFTER INSERT OR DELETE ON @extschema@.conversation_issues
    FOR EACH ROW EXECUTE FUNCTION @extschema@.link_event('conversation.issue_linked', 'conversation.issue_unlinked', 'issue_id');

CREATE POLICY conversation_issues_read ON @extschema@.conversation_issues FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY conversation_issues_read ON @extschema@.conversation_issues IS
    'Defined by woes. Agents, operators, analysts and admins read which conversations an issue touches; customers never';
CREATE POLICY conversation_issues_write ON @extschema@.conversation_issues FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY conversation_issues_write ON @extschema@.conversation_issues IS
    'Defined by woes. Operators and admins link and unlink issues';

-- the state history, written only by the issue_state trigger
CREATE TABLE @extschema@.issue_state_events (
    workspace_id   uuid NOT NULL,
    issue_id       uuid NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    from_state     text NOT NULL,
    to_state       text NOT NULL,
    provider_state text,
    actor_kind     text NOT NULL,
    actor_id       uuid,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, issue_id, id),
    FOREIGN KEY (workspace_id, issue_id)
        REFERENCES @extschema@.issues (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.issue_state_events IS
    'The state history of each issue (from, to, the provider''s raw state, who, when); written only by the issue_state trigger';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.issue_state_events
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'issue_id', 'id', 'from_state', 'to_state',
                                                           'provider_state', 'actor_kind', 'actor_id', 'created_at');
CREATE POLICY issue_state_events_read ON @extschema@.issue_state_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY issue_state_events_read ON @extschema@.issue_state_events IS
    'Defined by woes. Agents, operators, analysts and admins read the issues'' state history; only the issue_state trigger writes it';

CREATE FUNCTION @extschema@.issue_state() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_issue_state'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.issue_state() IS
    'Internal trigger: a change of an issue''s state writes its history row, issue.state_changed, and conversation.issue_state_changed for each linked conversation still open';
CREATE TRIGGER issue_state BEFORE UPDATE OF state ON @extschema@.issues
    FOR EACH ROW EXECUTE FUNCTION @extschema@.issue_state();

-- Per issue: how many conversations it touches (open and in all), how many
-- customers, when it was first and last linked, and since when the oldest
-- open one waits.  Read as the caller (operators, analysts, admins): one
-- pass over the workspace's links, by index.
CREATE VIEW @extschema@.issue_impact WITH (security_invoker = true) AS
SELECT i.id AS issue_id, i.provider, i.external_key, i.title, i.state, i.provider_state, i.url,
       count(l.conversation_id) AS conversations_total,
       count(l.conversation_id) FILTER (WHERE c.status OPERATOR(@extschema@.<>) 'resolved'
                                          AND c.status OPERATOR(@extschema@.<>) 'closed') AS conversations_open,
       count(DISTINCT c.contact_id) AS customers,
       count(DISTINCT c.contact_id) FILTER (WHERE c.status OPERATOR(@extschema@.<>) 'resolved'
                                             AND c.status OPERATOR(@extschema@.<>) 'closed') AS customers_open,
       min(l.created_at) AS first_linked_at,
       max(l.created_at) AS last_linked_at,
       min(c.created_at) FILTER (WHERE c.status OPERATOR(@extschema@.<>) 'resolved'
                                   AND c.status OPERATOR(@extschema@.<>) 'closed') AS oldest_open_since,
       i.workspace_id
  FROM @extschema@.issues i
  LEFT JOIN @extschema@.conversation_issues l
    ON l.workspace_id OPERATOR(pg_catalog.=) i.workspace_id AND l.issue_id OPERATOR(pg_catalog.=) i.id
  LEFT JOIN @extschema@.conversations c
    ON c.workspace_id OPERATOR(pg_catalog.=) l.workspace_id AND c.id OPERATOR(pg_catalog.=) l.conversation_id
 GROUP BY i.workspace_id, i.id;
COMMENT ON VIEW @extschema@.issue_impact IS
    'Per linked issue: its state, the conversations it touches (open and in all), distinct customers (in all and with an open conversation), first and last linked, and since when the oldest open conversation waits';

CREATE FUNCTION @extschema@.link_issue(conversation uuid, provider text, external_key text,
                                       url text DEFAULT NULL, title text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws       uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    prov     text := lower(btrim(link_issue.provider));
    ext      text := btrim(link_issue.external_key);
    issue_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'linking an issue');
    IF link_issue.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF prov IS NULL OR prov !~ '^[a-z][a-z0-9_.-]{0,39}$' THEN
        RAISE EXCEPTION 'invalid provider %', coalesce(quote_literal(link_issue.provider), 'NULL') USING ERRCODE = 'WO007',
            HINT = 'A provider is a name such as linear, github, jira or internal: 1 to 40 letters, digits, ".", "_" or "-".';
    END IF;
    PERFORM @extschema@.require_text(ext, 'external key', 200);
    IF link_issue.url IS NOT NULL AND (link_issue.url !~ '^https?://' OR length(link_issue.url) > 2000) THEN
        RAISE EXCEPTION 'invalid url' USING ERRCODE = 'WO007', HINT = 'An issue''s url is http:// or https://, at most 2000 characters.';
    END IF;
    IF link_issue.title IS NOT NULL THEN
        PERFORM @extschema@.require_text(link_issue.title, 'title', 500);
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id = ws AND c.id = link_issue.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', link_issue.conversation USING ERRCODE = 'WO005';
    END IF;
    -- the issue: one per (provider, key); a second link of the same key, at
    -- the same moment too, finds the first's (ON CONFLICT waits for it)
    INSERT INTO @extschema@.issues (workspace_id, provider, external_key, url, title)
    VALUES (ws, prov, ext, link_issue.url, link_issue.title)
    ON CONFLICT (workspace_id, provider, external_key) DO NOTHING
    RETURNING id INTO issue_id;
    IF issue_id IS NULL THEN
        SELECT i.id INTO issue_id FROM @extschema@.issues i
         WHERE i.workspace_id = ws AND i.provider = prov AND i.external_key = ext;
        -- a url or title given refreshes what is known of it
        UPDATE @extschema@.issues i
           SET url = coalesce(link_issue.url, i.url), title = coalesce(link_issue.title, i.title)
         WHERE i.workspace_id = ws AND i.id = issue_id
           AND (link_issue.url IS DISTINCT FROM NULL AND link_issue.url IS DISTINCT FROM i.url
                OR link_issue.title IS DISTINCT FROM NULL AND link_issue.title IS DISTINCT FROM i.title);
    END IF;
    INSERT INTO @extschema@.conversation_issues (workspace_id, conversation_id, issue_id)
    VALUES (ws, link_issue.conversation, issue_id)
    ON CONFLICT DO NOTHING;
    RETURN issue_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.link_issue(uuid, text, text, text, text) IS
    'Link a conversation to a tracker''s issue (provider, external key), recording the issue on first use; idempotent; returns the issue''s id';

CREATE FUNCTION @extschema@.unlink_issue(conversation uuid, issue uuid)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();
    n  integer;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'unlinking an issue');
    IF unlink_issue.conversation IS NULL OR unlink_issue.issue IS NULL THEN
        RAISE EXCEPTION 'conversation and issue must not be null' USING ERRCODE = 'WO007';
    END IF;
    DELETE FROM @extschema@.conversation_issues l
     WHERE l.workspace_id OPERATOR(pg_catalog.=) ws
       AND l.conversation_id OPERATOR(pg_catalog.=) unlink_issue.conversation
       AND l.issue_id OPERATOR(pg_catalog.=) unlink_issue.issue;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.unlink_issue(uuid, uuid) IS
    'Remove the link between a conversation and an issue; true if there was one';

CREATE FUNCTION @extschema@.set_issue_state(issue uuid, state text, provider_state text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    ws uuid := @extschema@.current_workspace();
    n  integer;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'setting an issue''s state');
    IF set_issue_state.issue IS NULL THEN
        RAISE EXCEPTION 'issue must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF set_issue_state.state IS NULL OR set_issue_state.state NOT IN ('open', 'in_progress', 'done', 'canceled') THEN
        RAISE EXCEPTION 'invalid issue state %', coalesce(quote_literal(set_issue_state.state), 'NULL') USING ERRCODE = 'WO007',
            HINT = 'The states are open, in_progress, done and canceled; pass the tracker''s own as provider_state.';
    END IF;
    IF set_issue_state.provider_state IS NOT NULL THEN
        PERFORM @extschema@.require_text(set_issue_state.provider_state, 'provider state', 100);
    END IF;
    UPDATE @extschema@.issues i
       SET state = set_issue_state.state,
           provider_state = coalesce(set_issue_state.provider_state, i.provider_state)
     WHERE i.workspace_id = ws AND i.id = set_issue_state.issue
       AND (i.state <> set_issue_state.state
            OR set_issue_state.provider_state IS DISTINCT FROM NULL
               AND set_issue_state.provider_state IS DISTINCT FROM i.provider_state);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 AND NOT EXISTS (SELECT FROM @extschema@.issues i WHERE i.workspace_id = ws AND i.id = set_issue_state.issue) THEN
        RAISE EXCEPTION 'issue % not found in this workspace', set_issue_state.issue USING ERRCODE = 'WO005';
    END IF;
    RETURN n > 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.set_issue_state(uuid, text, text) IS
    'Set an issue''s normalised state (open, in_progress, done, canceled) and, optionally, the tracker''s own; a change of state is recorded and written to the outbox, once for the issue and once per linked conversation still open; true if anything changed';

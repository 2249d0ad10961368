
--------------------------------------------------------------------------
-- Tables.  Every workspace table leads its primary key with workspace_id
-- and every foreign key between workspace tables includes it, so no row can
-- point into another workspace and the schema shards by workspace_id.
-- uuid ids have no default: the assign_id trigger makes them, and refuses
-- one a writer supplies (see 30_policies.sql).
-- Row-level security, the context trigger, frozen columns and the dump
-- registration are added to every table in 30_policies.sql.
--------------------------------------------------------------------------

-- Global lookup data: the channels.  Adding a channel is a row (plus, for
-- its own threading rules, at most one function), never a schema change.
CREATE TABLE @extschema@.channels (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]{0,31}$'),
    description text NOT NULL,
    -- how a thread reference becomes thread keys: a function (text) returns
    -- text[]; NULL means the reference is one key (a chat session id, a
    -- Discord channel or thread id)
    thread_keys regprocedure,
    builtin     boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE @extschema@.channels IS
    'Channels conversations arrive on (global, not per workspace); builtin rows come with the extension';
INSERT INTO @extschema@.channels (name, description, builtin) VALUES
    ('live_chat', 'Live chat widget; thread reference: the chat session id', true),
    ('discord', 'Discord; thread reference: the channel or thread id', true),
    ('email', 'Email; thread reference: Message-ID, In-Reply-To and References headers', true),
    ('api', 'Direct API intake; thread reference: the caller''s own conversation key', true);
-- (email's thread_keys function is set once it exists, in 45_messages.sql)

CREATE TABLE @extschema@.workspaces (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    -- the last conversation number handed out; the row lock taken to bump
    -- it is what makes numbers gap-free (a rollback undoes the bump)
    last_conversation_number bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE @extschema@.workspaces IS
    'Tenants.  Each sees only itself; a Citus deployment makes this a reference table';

CREATE TABLE @extschema@.contacts (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text CHECK (length(name) <= 200),
    email       text CHECK (length(email) <= 320),
    blocked     boolean NOT NULL DEFAULT false,
    metadata    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    erased_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
COMMENT ON TABLE @extschema@.contacts IS
    'Customers of a workspace; a customer-audience context acts as one contact';

CREATE TABLE @extschema@.identities (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    id          uuid NOT NULL,
    contact_id  uuid NOT NULL,
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 512),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, channel, external_id),
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.identities (workspace_id, contact_id);
COMMENT ON TABLE @extschema@.identities IS
    'How a contact is known on a channel: a Discord user id, an email address, a chat visitor id';

CREATE TABLE @extschema@.operators (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$' AND length(email) <= 320),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX operators_email_key ON @extschema@.operators (workspace_id, lower(email));
COMMENT ON TABLE @extschema@.operators IS 'People who answer conversations';

CREATE TABLE @extschema@.teams (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
COMMENT ON TABLE @extschema@.teams IS 'Groups of operators that conversations can be routed to';

CREATE TABLE @extschema@.team_members (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    id          uuid NOT NULL,
    team_id     uuid NOT NULL,
    operator_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, team_id, operator_id),
    FOREIGN KEY (workspace_id, team_id)
        REFERENCES @extschema@.teams (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.team_members (workspace_id, operator_id);
COMMENT ON TABLE @extschema@.team_members IS 'Which operators belong to which teams';

CREATE TABLE @extschema@.agents (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- NULL: serves every channel
    channels    text[] CHECK (cardinality(channels) > 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, name)
);
COMMENT ON TABLE @extschema@.agents IS 'AI agents and bots that answer under automation';

CREATE TABLE @extschema@.conversations (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    id          uuid NOT NULL,
    -- per-workspace ticket number, gap-free; set by the allocate_number trigger
    number      bigint NOT NULL,
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    status      @extschema@.status NOT NULL DEFAULT 'open',
    -- set by the lifecycle trigger when not given: automation if an active
    -- agent serves the channel, else operator
    control     @extschema@.control NOT NULL,
    -- the operator holding the conversation while control is operator
    controller_id uuid,
    contact_id  uuid NOT NULL,
    assignee_id uuid,
    team_id     uuid,
    subject     text CHECK (length(subject) <= 1000),
    thread_ref  text CHECK (length(thread_ref) <= 10000),
    custom_fields jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    snoozed_until timestamptz,
    previous_conversation_id uuid,
    last_message_at timestamptz,
    -- the oldest customer message not yet answered by an operator
    waiting_since timestamptz,
    -- public customer messages since the last public staff reply
    unanswered_count integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id),
    UNIQUE (workspace_id, number),
    -- target of the messages' (conversation, contact) key: a message always
    -- carries its conversation's contact, so customer visibility is a plain
    -- column test in a policy, with no lookup.  Its column order makes it a
    -- customer's list of conversations too (newest first, read backwards):
    -- one index fewer to write on every update of a conversation.
    CONSTRAINT conversations_contact_key UNIQUE (workspace_id, contact_id, id),
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, assignee_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE SET NULL (assignee_id),
    FOREIGN KEY (workspace_id, team_id)
        REFERENCES @extschema@.teams (workspace_id, id) ON DELETE SET NULL (team_id),
    FOREIGN KEY (workspace_id, controller_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE SET NULL (controller_id),
    FOREIGN KEY (workspace_id, previous_conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id)
);
-- the inbox: one status, newest activity first, a page at a time
CREATE INDEX conversations_inbox_idx ON @extschema@.conversations
    (workspace_id, status, last_message_at DESC NULLS LAST, id DESC);
CREATE INDEX conversations_assignee_idx ON @extschema@.conversations
    (workspace_id, assignee_id, status) WHERE assignee_id IS NOT NULL;
-- due snoozes, for woes.wake_snoozed()
CREATE INDEX conversations_snoozed_idx ON @extschema@.conversations
    (snoozed_until, workspace_id) WHERE status = 'snoozed';
-- (no index on thread_ref: threads are found through woes.thread_refs, and
-- every index here is written again by each message's conversation update)
COMMENT ON TABLE @extschema@.conversations IS
    'The support record: one per thread on a channel, with its status, control and routing';

-- The lifecycle history: one row per status change, and one for the
-- creation (from_status NULL).  Written only by the lifecycle trigger, as
-- the owner; nobody is granted INSERT, UPDATE or DELETE on it.  id orders
-- the events of a conversation (they are serialised by its row lock).
CREATE TABLE @extschema@.status_events (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    from_status     @extschema@.status,
    to_status       @extschema@.status NOT NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id        uuid,
    reason          text CHECK (length(reason) <= 1000),
    snoozed_until   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    -- deferred: the creation event is written by a BEFORE INSERT trigger,
    -- just before its conversation row
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.status_events IS
    'Lifecycle history: every status change (and each creation) with who, why and when; the last row is the current status';

-- The handoff history: every change of control (a request for a person, a
-- takeover, a release to automation), written by the lifecycle trigger as
-- the owner, like status_events.
CREATE TABLE @extschema@.handoff_events (
    workspace_id    uuid NOT NULL,
    conversation_id uuid NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    kind            text NOT NULL CHECK (kind IN ('requested', 'taken_over', 'released')),
    from_control    @extschema@.control NOT NULL,
    to_control      @extschema@.control NOT NULL,
    actor_kind      text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id        uuid,
    -- the operator who holds it after a takeover
    operator_id     uuid,
    reason          text CHECK (length(reason) <= 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.handoff_events IS
    'Handoff history: requests for a person, takeovers and releases, with who, why and when';

CREATE TABLE @extschema@.participants (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    id          uuid NOT NULL,
    conversation_id uuid NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('customer', 'operator', 'agent', 'channel')),
    contact_id  uuid,
    operator_id uuid,
    agent_id    uuid,
    -- a channel participant known only by its channel id (a CC address, a
    -- Discord user who is not the contact)
    external_ref text CHECK (length(external_ref) <= 512),
    display_name text CHECK (length(display_name) <= 200),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    left_at     timestamptz CHECK (left_at >= joined_at),
    PRIMARY KEY (workspace_id, id),
    CHECK (CASE kind
               WHEN 'customer' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND contact_id IS NOT NULL
               WHEN 'operator' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND operator_id IS NOT NULL
               WHEN 'agent' THEN num_nonnulls(contact_id, operator_id, agent_id, external_ref) = 1 AND agent_id IS NOT NULL
               ELSE num_nonnulls(contact_id, operator_id, agent_id) = 0 AND external_ref IS NOT NULL
           END),
    UNIQUE NULLS NOT DISTINCT (workspace_id, conversation_id, kind, contact_id, operator_id, agent_id, external_ref),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, contact_id)
        REFERENCES @extschema@.contacts (workspace_id, id),
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id),
    FOREIGN KEY (workspace_id, agent_id)
        REFERENCES @extschema@.agents (workspace_id, id)
);
COMMENT ON TABLE @extschema@.participants IS
    'Who takes part in a conversation (customer, operator, agent, channel participant), with join and leave times';

CREATE TABLE @extschema@.messages (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    id          uuid NOT NULL,
    conversation_id uuid NOT NULL,
    -- the conversation's contact, kept in step by the foreign key (ON UPDATE
    -- CASCADE); it is what the customer policy tests
    contact_id  uuid NOT NULL,
    author_kind text NOT NULL CHECK (author_kind IN ('customer', 'operator', 'agent', 'system')),
    author_id   uuid,
    visibility  @extschema@.visibility NOT NULL DEFAULT 'public',
    body        text,
    attachments jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attachments) = 'array'),
    grounding   jsonb CHECK (jsonb_typeof(grounding) = 'array'),
    channel     text REFERENCES @extschema@.channels (name),
    external_id text CHECK (length(external_id) <= 512),
    created_at  timestamptz NOT NULL DEFAULT now(),
    edited_at   timestamptz,
    redacted_at timestamptz,
    redacted_by uuid,
    redaction_reason text CHECK (length(redaction_reason) <= 1000),
    PRIMARY KEY (workspace_id, id),
    -- intake idempotency: one message per (channel, external message id)
    UNIQUE (workspace_id, channel, external_id),
    FOREIGN KEY (workspace_id, conversation_id, contact_id)
        REFERENCES @extschema@.conversations (workspace_id, id, contact_id)
        ON UPDATE CASCADE ON DELETE CASCADE
);
-- a conversation's thread, oldest first (v7 ids are time ordered)
CREATE INDEX messages_conversation_idx ON @extschema@.messages
    (workspace_id, conversation_id, id);
COMMENT ON TABLE @extschema@.messages IS
    'Everything written in a conversation; visibility decides who may read it (see the policies)';

-- Agent diagnostics, split from messages so that no query in the customer
-- audience can ever read them: this table has no customer policy at all,
-- whereas a column of messages would be readable wherever its row is.
CREATE TABLE @extschema@.message_traces (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    message_id  uuid NOT NULL,
    -- the message's author, for the agent's "own traces only" rule
    author_id   uuid,
    trace       jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, message_id)
        REFERENCES @extschema@.messages (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.message_traces IS
    'Diagnostic traces of agent messages; never visible to customers (no customer policy)';

-- Thread keys: how an incoming message finds its conversation.  One row
-- per key (a chat session id, a Discord thread id, every email Message-ID
-- of the thread); a key moves to the follow-up when a closed thread is
-- written to again.
CREATE TABLE @extschema@.thread_refs (
    workspace_id uuid NOT NULL DEFAULT @extschema@.current_workspace(),
    channel     text NOT NULL REFERENCES @extschema@.channels (name),
    ref         text NOT NULL CHECK (length(ref) BETWEEN 1 AND 1000),
    conversation_id uuid NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, channel, ref),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX ON @extschema@.thread_refs (workspace_id, conversation_id);
COMMENT ON TABLE @extschema@.thread_refs IS
    'Channel thread keys (session, channel or thread ids, email Message-IDs) and the conversation each belongs to';

-- The outbox.  id is the consumers' cursor (see woes.events_since for why
-- it is gap-free); payloads carry ids and non-sensitive fields only.  No
-- foreign key to conversations: the log outlives what it describes.
CREATE SEQUENCE @extschema@.events_id_seq AS bigint CACHE 1;
COMMENT ON SEQUENCE @extschema@.events_id_seq IS 'Event ids (the outbox cursor); CACHE 1 keeps ids in draw order';
CREATE TABLE @extschema@.events (
    -- no foreign key: events are written only by woes's triggers, under a
    -- validated context; a key check would lock the workspace row for
    -- every event, and every writer of a workspace would meet there
    workspace_id    uuid NOT NULL,
    id              bigint NOT NULL DEFAULT nextval('@extschema@.events_id_seq'),
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]+\.[a-z_]+$'),
    conversation_id uuid,
    payload         jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
ALTER SEQUENCE @extschema@.events_id_seq OWNED BY @extschema@.events.id;
-- One index only: the outbox is read as a stream by (workspace_id, id).  A
-- conversation's history is status_events and handoff_events, keyed by
-- conversation; a second index here would cost every write and serve no query.
COMMENT ON TABLE @extschema@.events IS
    'Outbox of everything that happened (conversation.created, message.created, conversation.status_changed, handoff.*), written in the same transaction; read with woes.events_since()';

CREATE TABLE @extschema@.role_bindings (
    workspace_id uuid NOT NULL REFERENCES @extschema@.workspaces (id),
    role_name   name NOT NULL,
    audience    @extschema@.audience NOT NULL,
    actor       uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, role_name)
);
COMMENT ON TABLE @extschema@.role_bindings IS
    'Roles whose sessions get a default context (see woes.bind_role); one binding per role';

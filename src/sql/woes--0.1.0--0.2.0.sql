-- woes upgrade script: 0.1.0 to 0.2.0.
\echo Use "ALTER EXTENSION woes UPDATE TO '0.2.0'" to load this file. \quit

-- Every schema change made after 0.1.0 goes in here as well as in the
-- sources (src/sql/[0-9][0-9]_*.sql, which build the 0.2.0 install script):
-- a database upgraded from 0.1.0 must equal a fresh 0.2.0 install, which
-- test/sh/upgrade.sh checks object by object.  releases/woes--0.1.0.sql is
-- never edited.

-- require_audience is the C check the C API functions use (one audience
-- error, with its detail and hint, on every path); CREATE OR REPLACE keeps
-- its grants and comment and takes the C function's cost and no SET clause.
CREATE OR REPLACE FUNCTION @extschema@.require_audience(allowed @extschema@.audience[], action text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_require_audience_sql'
    LANGUAGE C STABLE PARALLEL SAFE;

-- The digest of a policy as woes defines it (its command, permissive or
-- not, its table's count of permissive woes policies, its expressions)
-- that ends the comment of every policy woes creates (written last, over
-- them all): the C code trusts a woes policy only while it still matches,
-- so one an ALTER POLICY rewrote, or whose sibling a DBA dropped, sends the
-- direct paths to the statements (src/policies.c).
CREATE FUNCTION @extschema@.policy_fingerprint(policy oid) RETURNS text
    AS 'MODULE_PATHNAME', 'woes_policy_fingerprint_sql'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.policy_fingerprint(oid) IS
    'Internal: the digest (SHA-256) of a policy as woes defines it (its command, permissive or not, its table''s count of permissive woes policies, its USING and WITH CHECK as pg_get_expr prints them under pinned settings) that ends the comment of every policy woes creates; the direct paths take a woes policy for woes''s own only while it matches (NULL: no such policy)';

-- Writes the fingerprint of a woes policy at the end of its comment: woes
-- vouches for the policy as it stands.  The install script calls it for
-- every policy it made; its owner (a superuser) calls it only after
-- comparing a policy woes.doctor() names (policies_as_defined) with
-- the install script, e.g. after a pg_upgrade to a major version that
-- prints an expression differently.  Never granted: COMMENT ON POLICY
-- needs the table's owner anyway.
CREATE FUNCTION @extschema@.stamp_policy(tbl regclass, policy name) RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET row_security = on
AS $$
DECLARE
    pol     oid;
    doc     text;
    digest  text;
BEGIN
    IF tbl IS NULL OR policy IS NULL THEN
        RAISE EXCEPTION 'stamp_policy needs a table and a policy' USING ERRCODE = 'WO007';
    END IF;
    -- no ALTER or DROP POLICY on the table until the stamp is written
    EXECUTE format('LOCK TABLE %s IN SHARE UPDATE EXCLUSIVE MODE', tbl);
    SELECT p.oid, obj_description(p.oid, 'pg_policy') INTO pol, doc
      FROM pg_policy p WHERE p.polrelid = tbl AND p.polname = policy;
    IF pol IS NULL THEN
        RAISE EXCEPTION 'policy "%" of table % does not exist', policy, tbl USING ERRCODE = 'WO005';
    END IF;
    IF doc IS NULL OR doc NOT LIKE 'Defined by woes.%'
       OR (SELECT c.relnamespace FROM pg_class c WHERE c.oid = tbl) <> '@extschema@'::regnamespace THEN
        RAISE EXCEPTION 'policy "%" of table % is not one of woes''s', policy, tbl USING ERRCODE = 'WO007',
              HINT = 'woes stamps only the policies it defined, on its own tables: their comment starts ''Defined by woes.''';
    END IF;
    digest := @extschema@.policy_fingerprint(pol);
    EXECUTE format('COMMENT ON POLICY %I ON %s IS %L', policy, tbl,
                   regexp_replace(doc, E'\nwoes fingerprint: [^\n]*$', '') || E'\nwoes fingerprint: ' || digest);
    RETURN digest;
END;
$$;
COMMENT ON FUNCTION @extschema@.stamp_policy(regclass, name) IS
    'Vouch for a woes policy as it stands: write its fingerprint (its command, permissive or not, its table''s count of permissive woes policies, its expressions) at the end of its comment, so the direct paths take it for woes''s own again (for the owner, after comparing a policy doctor() names with the install script); returns the fingerprint';

REVOKE EXECUTE ON FUNCTION @extschema@.policy_fingerprint(oid), @extschema@.stamp_policy(regclass, name) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.policy_fingerprint(oid) TO woes_admin;

-- Every policy woes creates says so in its COMMENT, which starts 'Defined
-- by woes.': the C code tells woes's own policies from a DBA's by it (see
-- policy_is_woes_own in policies.c, which also compares the fingerprint
-- written at the end of this script); 0.1.0 decided by a list of names.
COMMENT ON POLICY workspaces_read ON @extschema@.workspaces IS
    'Defined by woes. Everyone with a context reads its workspace';
COMMENT ON POLICY workspaces_admin_update ON @extschema@.workspaces IS
    'Defined by woes. Admins rename and configure their workspace';
COMMENT ON POLICY contacts_customer_read ON @extschema@.contacts IS
    'Defined by woes. A customer reads its own contact';
COMMENT ON POLICY contacts_staff_read ON @extschema@.contacts IS
    'Defined by woes. Agents, operators and admins read every contact';
COMMENT ON POLICY contacts_staff_insert ON @extschema@.contacts IS
    'Defined by woes. Operators and admins add contacts';
COMMENT ON POLICY contacts_staff_update ON @extschema@.contacts IS
    'Defined by woes. Operators and admins change contacts';
COMMENT ON POLICY contacts_admin_delete ON @extschema@.contacts IS
    'Defined by woes. Only admins delete contacts';
COMMENT ON POLICY identities_customer_read ON @extschema@.identities IS
    'Defined by woes. A customer reads its own identities';
COMMENT ON POLICY identities_staff_read ON @extschema@.identities IS
    'Defined by woes. Agents, operators and admins read every identity';
COMMENT ON POLICY identities_staff_insert ON @extschema@.identities IS
    'Defined by woes. Operators and admins add identities';
COMMENT ON POLICY identities_staff_update ON @extschema@.identities IS
    'Defined by woes. Operators and admins change identities';
COMMENT ON POLICY identities_staff_delete ON @extschema@.identities IS
    'Defined by woes. Operators and admins delete identities (erasure runs as them)';
COMMENT ON POLICY conversations_customer_read ON @extschema@.conversations IS
    'Defined by woes. A customer reads its own conversations';
COMMENT ON POLICY conversations_staff_read ON @extschema@.conversations IS
    'Defined by woes. Agents, operators, analysts and admins read every conversation';
COMMENT ON POLICY conversations_customer_insert ON @extschema@.conversations IS
    'Defined by woes. A customer starts conversations of its own';
COMMENT ON POLICY conversations_staff_insert ON @extschema@.conversations IS
    'Defined by woes. Operators and admins start conversations';
COMMENT ON POLICY conversations_staff_update ON @extschema@.conversations IS
    'Defined by woes. Agents, operators and admins work conversations; the lifecycle trigger judges every change';
COMMENT ON POLICY conversations_admin_delete ON @extschema@.conversations IS
    'Defined by woes. Only admins delete conversations';
COMMENT ON POLICY participants_staff_read ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins read participants';
COMMENT ON POLICY participants_staff_insert ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins add participants';
COMMENT ON POLICY participants_staff_update ON @extschema@.participants IS
    'Defined by woes. Agents, operators and admins change participants';
COMMENT ON POLICY participants_admin_delete ON @extschema@.participants IS
    'Defined by woes. Only admins delete participants';
COMMENT ON POLICY messages_read ON @extschema@.messages IS
    'Defined by woes. Who reads which message: the visibility matrix (woes.can_see), and a customer only in its own conversations';
COMMENT ON POLICY messages_customer_insert ON @extschema@.messages IS
    'Defined by woes. A customer writes public messages as itself, in its own conversations';
COMMENT ON POLICY messages_agent_insert ON @extschema@.messages IS
    'Defined by woes. An agent writes messages as itself';
COMMENT ON POLICY messages_staff_insert ON @extschema@.messages IS
    'Defined by woes. Operators and admins write messages (the intake among them)';
COMMENT ON POLICY messages_staff_update ON @extschema@.messages IS
    'Defined by woes. Operators and admins change messages (redaction)';
COMMENT ON POLICY messages_admin_delete ON @extschema@.messages IS
    'Defined by woes. Only admins delete messages';
COMMENT ON POLICY role_bindings_admin_read ON @extschema@.role_bindings IS
    'Defined by woes. Admins read role bindings; woes.bind_role() writes them';
COMMENT ON POLICY status_events_read ON @extschema@.status_events IS
    'Defined by woes. Agents, operators, analysts and admins read status history; only the lifecycle trigger writes it';
COMMENT ON POLICY participants_customer_insert ON @extschema@.participants IS
    'Defined by woes. A customer starting its own conversation records itself as participant';
COMMENT ON POLICY message_traces_read ON @extschema@.message_traces IS
    'Defined by woes. Traces are debug visibility: never customers; agents their own; operators and admins all';
COMMENT ON POLICY message_traces_insert ON @extschema@.message_traces IS
    'Defined by woes. Operators and admins write traces; an agent its own';
COMMENT ON POLICY message_traces_staff_delete ON @extschema@.message_traces IS
    'Defined by woes. Operators and admins delete traces';
COMMENT ON POLICY thread_refs_staff ON @extschema@.thread_refs IS
    'Defined by woes. Thread keys are the intake''s business: operators and admins';
COMMENT ON POLICY handoff_events_read ON @extschema@.handoff_events IS
    'Defined by woes. Agents, operators, analysts and admins read handoff history; only the handoff trigger writes it';
COMMENT ON POLICY events_read ON @extschema@.events IS
    'Defined by woes. Operators and admins read the outbox; only the triggers write it';
COMMENT ON POLICY channels_read ON @extschema@.channels IS
    'Defined by woes. Channels are global lookup data: readable by all, written by the owner only';
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['operators', 'teams', 'team_members', 'agents'] LOOP
        EXECUTE format($p$
            COMMENT ON POLICY %1$s_read ON @extschema@.%1$I IS
                'Defined by woes. Agents, operators, analysts and admins read %2$s';
            COMMENT ON POLICY %1$s_staff_insert ON @extschema@.%1$I IS
                'Defined by woes. Operators and admins add %2$s';
            COMMENT ON POLICY %1$s_staff_update ON @extschema@.%1$I IS
                'Defined by woes. Operators and admins change %2$s';
            COMMENT ON POLICY %1$s_admin_delete ON @extschema@.%1$I IS
                'Defined by woes. Only admins delete %2$s';
            $p$, t, pg_catalog.replace(t, '_', ' '));
    END LOOP;
    -- the isolation policy of every table but channels (80_row_security.sql)
    FOR t IN
        SELECT c.relname
          FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) p.polrelid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND p.polname OPERATOR(pg_catalog.=) 'workspace_isolation'
           AND c.relname OPERATOR(pg_catalog.<>) 'channels'
    LOOP
        EXECUTE format(
            'COMMENT ON POLICY workspace_isolation ON @extschema@.%I IS %L', t,
            'Defined by woes. Restrictive: only rows of the context''s workspace are visible or writable');
    END LOOP;
END;
$$;

-- Which of 0.1.0's policies are as 0.1.0 made them: each one's fingerprint
-- (woes.policy_fingerprint) against that of a fresh 0.1.0 install with the
-- comments above written, listed here (releases/woes--0.1.0.sql never
-- changes, nor do these; they were taken with woes.policy_fingerprint on
-- such a database, and test/sh/upgrade.sh fails on every major where one
-- would not match).  A policy a DBA rewrote with ALTER POLICY, or dropped
-- and made again otherwise under woes's name, is not vouched for by this
-- update: its comment gets the line
-- 'woes fingerprint: none (...)', which the stamping at the end of this
-- script leaves, so the direct paths take the statements for it and
-- woes.doctor() names it (policies_as_defined) until its owner puts it back
-- and calls woes.stamp_policy.
DO $$
DECLARE
    p   record;
BEGIN
    FOR p IN
        SELECT c.relname, pol.polname,
               pg_catalog.obj_description(pol.oid, 'pg_policy') AS doc
          FROM pg_catalog.pg_policy pol
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pol.polrelid
          JOIN (VALUES
               ('agents', 'agents_admin_delete', '29dee623b33b77757f94c5bfebc85b37f8ac9a8a16826a526ad8d2a2772a8ef4'),
               ('agents', 'agents_read', 'e37391de321211f4b51e91bc7cdad48ebdb658998ebf2870746018094a2b7601'),
               ('agents', 'agents_staff_insert', '230f438d64415b0b99d22bdb073d0b89ea9206192687cdbeb94af4ed0fb55a2e'),
               ('agents', 'agents_staff_update', 'e80ddb5a40ce0b3837b612f19d7fa250101ec22b8431055338070b0f117412e0'),
               ('agents', 'workspace_isolation', 'c802a4a5b7ffb85e32631467e944a1fbe8201186ae4577d8d2ddd63558bb30a3'),
               ('channels', 'channels_read', 'fe47eb5624b6db2271ddef5df82df0c1e9105cc6767e9afbd4e4dbcceaa50f6a'),
               ('contacts', 'contacts_admin_delete', '8419a207ad78099c779dc8f2fe2560978bf5b897ecdac57998df7a9bbee87412'),
               ('contacts', 'contacts_customer_read', 'f82bbab9c28ee063ca5b3187fd140891892104c6ff691124d89e10af964342f2'),
               ('contacts', 'contacts_staff_insert', '763e264e632b70bf08aeb700c0d07436d12ed43de412f9a7798d1c67381fb107'),
               ('contacts', 'contacts_staff_read', 'feb4a8a2863cb661f67ee1e59b6458e75a9cf6d9ad935645934f3f6d553ccf4c'),
               ('contacts', 'contacts_staff_update', 'a6a9af4d3013e329d2b112ff2b0fc6f3545ae5e28d8276912597bca3b8e7fc7b'),
               ('contacts', 'workspace_isolation', 'f717ddaae500b071c5057257eb6986566c2e03b60ebff50d3a07565c845005d7'),
               ('conversations', 'conversations_admin_delete', '9847c6864a9f87200500719d80f67522843608c6ebd94822cb79d12064e9fe74'),
               ('conversations', 'conversations_customer_insert', '74feb04f3d080dd12fbada67e97b75b7bb910179c42913d81ad59d3ac290eb72'),
               ('conversations', 'conversations_customer_read', 'faaceaef3abbe653a092fc163e92c58137297d949c0a100ba1c8228b84923d22'),
               ('conversations', 'conversations_staff_insert', '9b5398961411caace12254b06681ced8d819771fce05eb97690593291420eec2'),
               ('conversations', 'conversations_staff_read', 'fcc1200b23731f62c98aeb8f82c9a5d8b1e83a633b8fe870ddb2dab51c21bc79'),
               ('conversations', 'conversations_staff_update', '8f279460c02ba2c8400423b07bdefc306de1194f0d584513ef6d875e17977195'),
               ('conversations', 'workspace_isolation', 'd4b7ba02ef938e1b2394d375edf9f90259d451ff99951685f028e35a47f800a1'),
               ('events', 'events_read', '93221820309a0510b07e83e5cc5d6958022c28ab45460fa847d151b32eb8d4e8'),
               ('events', 'workspace_isolation', 'f0f4da1d41418a8a35883252773b06c1f96d6dff52429667691fef549563833c'),
               ('handoff_events', 'handoff_events_read', 'ddc7bd3b40b6301610df98585b4e69b4f1e46da46e70b6f1dde36bc72420d048'),
               ('handoff_events', 'workspace_isolation', 'f0f4da1d41418a8a35883252773b06c1f96d6dff52429667691fef549563833c'),
               ('identities', 'identities_customer_read', 'd5c8e1b2266b3b86c87dfc8ea40d9d4878e6b7226a70f19ffc6c446614a2891b'),
               ('identities', 'identities_staff_delete', '69364bcfdda8a53b68ac720c2df6e2d0ddeb33da1d9951ccd3309812e7397ed1'),
               ('identities', 'identities_staff_insert', '763e264e632b70bf08aeb700c0d07436d12ed43de412f9a7798d1c67381fb107'),
               ('identities', 'identities_staff_read', 'feb4a8a2863cb661f67ee1e59b6458e75a9cf6d9ad935645934f3f6d553ccf4c'),
               ('identities', 'identities_staff_update', 'a6a9af4d3013e329d2b112ff2b0fc6f3545ae5e28d8276912597bca3b8e7fc7b'),
               ('identities', 'workspace_isolation', 'f717ddaae500b071c5057257eb6986566c2e03b60ebff50d3a07565c845005d7'),
               ('message_traces', 'message_traces_insert', '3079739e1a58047aa6ef1c847a27a5b5dd17883534d7c999acd937513a83854c'),
               ('message_traces', 'message_traces_read', '23e68170d48aa59a46300f016171bf66fd1c2faf8d34eda5ab5e893d9f839c0f'),
               ('message_traces', 'message_traces_staff_delete', '38a4297210dcb5df88c9a3efa2f6c2ed0fef229755c8dba7f44fe4b47a4f2a09'),
               ('message_traces', 'workspace_isolation', '9a1553f46e92d688b1c0d6a88592b50263d05f904f037d8fed72d680f2b3bc89'),
               ('messages', 'messages_admin_delete', '9847c6864a9f87200500719d80f67522843608c6ebd94822cb79d12064e9fe74'),
               ('messages', 'messages_agent_insert', '13a74ff510fe9089d35fcd1aefdf5553a90f4f82d1bac52adc65d33380604b1f'),
               ('messages', 'messages_customer_insert', '5f8835293b5b6b6bbe1a6095124d209bec6ac791f3b46f503412d934c8bf1ee8'),
               ('messages', 'messages_read', '8f1763258bd65035db27d1b818ec926fa262d2fb36586ddba5247780c220ee4c'),
               ('messages', 'messages_staff_insert', '9b5398961411caace12254b06681ced8d819771fce05eb97690593291420eec2'),
               ('messages', 'messages_staff_update', '503aa13d0b95587512350385fb4ffab991ac5fb088cbdee202cce37629631634'),
               ('messages', 'workspace_isolation', 'd4b7ba02ef938e1b2394d375edf9f90259d451ff99951685f028e35a47f800a1'),
               ('operators', 'operators_admin_delete', '29dee623b33b77757f94c5bfebc85b37f8ac9a8a16826a526ad8d2a2772a8ef4'),
               ('operators', 'operators_read', 'e37391de321211f4b51e91bc7cdad48ebdb658998ebf2870746018094a2b7601'),
               ('operators', 'operators_staff_insert', '230f438d64415b0b99d22bdb073d0b89ea9206192687cdbeb94af4ed0fb55a2e'),
               ('operators', 'operators_staff_update', 'e80ddb5a40ce0b3837b612f19d7fa250101ec22b8431055338070b0f117412e0'),
               ('operators', 'workspace_isolation', 'c802a4a5b7ffb85e32631467e944a1fbe8201186ae4577d8d2ddd63558bb30a3'),
               ('participants', 'participants_admin_delete', '8419a207ad78099c779dc8f2fe2560978bf5b897ecdac57998df7a9bbee87412'),
               ('participants', 'participants_customer_insert', '7d8db2a98ec4ae6d49a30dab401343d3c88fa530ca8d3869a6c4f7d3bfec9272'),
               ('participants', 'participants_staff_insert', '7d8d9c1b507acac1324abd7d28d913629ecc96273f9de4e22f8c11fb3c5634ab'),
               ('participants', 'participants_staff_read', 'feb4a8a2863cb661f67ee1e59b6458e75a9cf6d9ad935645934f3f6d553ccf4c'),
               ('participants', 'participants_staff_update', '81e518631570e41da41e3bd54e7da19179e90dd1d5f889065b29e5db76e15b59'),
               ('participants', 'workspace_isolation', 'f717ddaae500b071c5057257eb6986566c2e03b60ebff50d3a07565c845005d7'),
               ('role_bindings', 'role_bindings_admin_read', '092522f41d97b9fd3334eee09bbc5d39af390fee032a307f3091a8f1913f113e'),
               ('role_bindings', 'workspace_isolation', 'f0f4da1d41418a8a35883252773b06c1f96d6dff52429667691fef549563833c'),
               ('status_events', 'status_events_read', 'ddc7bd3b40b6301610df98585b4e69b4f1e46da46e70b6f1dde36bc72420d048'),
               ('status_events', 'workspace_isolation', 'f0f4da1d41418a8a35883252773b06c1f96d6dff52429667691fef549563833c'),
               ('team_members', 'team_members_admin_delete', '29dee623b33b77757f94c5bfebc85b37f8ac9a8a16826a526ad8d2a2772a8ef4'),
               ('team_members', 'team_members_read', 'e37391de321211f4b51e91bc7cdad48ebdb658998ebf2870746018094a2b7601'),
               ('team_members', 'team_members_staff_insert', '230f438d64415b0b99d22bdb073d0b89ea9206192687cdbeb94af4ed0fb55a2e'),
               ('team_members', 'team_members_staff_update', 'e80ddb5a40ce0b3837b612f19d7fa250101ec22b8431055338070b0f117412e0'),
               ('team_members', 'workspace_isolation', 'c802a4a5b7ffb85e32631467e944a1fbe8201186ae4577d8d2ddd63558bb30a3'),
               ('teams', 'teams_admin_delete', '29dee623b33b77757f94c5bfebc85b37f8ac9a8a16826a526ad8d2a2772a8ef4'),
               ('teams', 'teams_read', 'e37391de321211f4b51e91bc7cdad48ebdb658998ebf2870746018094a2b7601'),
               ('teams', 'teams_staff_insert', '230f438d64415b0b99d22bdb073d0b89ea9206192687cdbeb94af4ed0fb55a2e'),
               ('teams', 'teams_staff_update', 'e80ddb5a40ce0b3837b612f19d7fa250101ec22b8431055338070b0f117412e0'),
               ('teams', 'workspace_isolation', 'c802a4a5b7ffb85e32631467e944a1fbe8201186ae4577d8d2ddd63558bb30a3'),
               ('thread_refs', 'thread_refs_staff', '9bf8146198030f72200915986d53be43a5a37c0b5fc54b331e38facd5e3bbe42'),
               ('thread_refs', 'workspace_isolation', 'f0f4da1d41418a8a35883252773b06c1f96d6dff52429667691fef549563833c'),
               ('workspaces', 'workspace_isolation', 'b6191a8e9de881d031f60670f6936a431a6b9f1a36a2801a85704fdc575f4847'),
               ('workspaces', 'workspaces_admin_update', '30ba429325319cb56a74f43a841fdac5dca878ce2ae2e3c177e1f9a1f4813457'),
               ('workspaces', 'workspaces_read', '8b3b1aeac1132d2f8e964da1b19e5ae81fb8f3c183d20be283f2f5f3eb8957f6')
               ) AS shipped (relname, polname, fingerprint)
            ON shipped.relname OPERATOR(pg_catalog.=) c.relname
           AND shipped.polname OPERATOR(pg_catalog.=) pol.polname
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND @extschema@.policy_fingerprint(pol.oid) OPERATOR(pg_catalog.<>) shipped.fingerprint
    LOOP
        EXECUTE format('COMMENT ON POLICY %I ON @extschema@.%I IS %L', p.polname, p.relname,
                       coalesce(p.doc, 'Defined by woes.')
                       || E'\nwoes fingerprint: none (changed before the update to 0.2.0)');
    END LOOP;
END;
$$;

-- The check of a context is one C function: set_context, the first write
-- of a context set any other way, and bind_role (which checked in SQL in
-- 0.1.0) all run it.
CREATE FUNCTION @extschema@.check_context(workspace uuid, audience @extschema@.audience, actor uuid)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_check_context_sql'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.check_context(uuid, @extschema@.audience, uuid) IS
    'Internal: the check of a context (the workspace exists; customer and agent need an actor; the actor is a contact, agent or operator of the workspace), WO004; used by bind_role';
REVOKE EXECUTE ON FUNCTION @extschema@.check_context(uuid, @extschema@.audience, uuid) FROM PUBLIC;

-- (bind_role runs it: made again below, with the context switch that reaches
-- Citus workers)

-- The workspace test folded into every permissive woes policy, as the
-- install script does (80_row_security): on Citus the restrictive
-- workspace_isolation policy does not reach the shards as restrictive, so
-- each policy must isolate on its own.
DO $$
DECLARE
    t       record;
    p       record;
    key     text;
BEGIN
    FOR t IN
        SELECT c.oid, c.relname
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
           AND c.relname OPERATOR(pg_catalog.<>) 'channels'
         ORDER BY c.relname
    LOOP
        key := CASE t.relname WHEN 'workspaces' THEN 'id' ELSE 'workspace_id' END;
        FOR p IN
            SELECT pol.polname, pol.polcmd,
                   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
              FROM pg_catalog.pg_policy pol
             WHERE pol.polrelid OPERATOR(pg_catalog.=) t.oid AND pol.polpermissive
               AND pg_catalog.obj_description(pol.oid, 'pg_policy') LIKE 'Defined by woes.%'
        LOOP
            EXECUTE format('ALTER POLICY %I ON @extschema@.%I%s%s', p.polname, t.relname,
                CASE WHEN p.qual IS NOT NULL THEN
                    format(' USING (%I OPERATOR(pg_catalog.=) @extschema@.current_workspace() AND (%s))', key, p.qual)
                ELSE '' END,
                CASE WHEN p.polcmd OPERATOR(pg_catalog.<>) ALL ('{r,d}'::"char"[]) THEN
                    format(' WITH CHECK (@extschema@.in_workspace(%I) AND (%s))', key, coalesce(p.chk, p.qual))
                ELSE '' END);
        END LOOP;
    END LOOP;
END;
$$;

-- Foreign-key actions Citus accepts on keys that include the distribution
-- column: a removed operator or team is cleared from its conversations by
-- a trigger (was ON DELETE SET NULL (col)); a conversation's contact is
-- frozen, so its messages' key has nothing to cascade on update.
ALTER TABLE @extschema@.conversations
    DROP CONSTRAINT conversations_workspace_id_assignee_id_fkey,
    DROP CONSTRAINT conversations_workspace_id_team_id_fkey,
    DROP CONSTRAINT conversations_workspace_id_controller_id_fkey,
    ADD CONSTRAINT conversations_workspace_id_assignee_id_fkey FOREIGN KEY (workspace_id, assignee_id)
        REFERENCES @extschema@.operators (workspace_id, id),
    ADD CONSTRAINT conversations_workspace_id_team_id_fkey FOREIGN KEY (workspace_id, team_id)
        REFERENCES @extschema@.teams (workspace_id, id),
    ADD CONSTRAINT conversations_workspace_id_controller_id_fkey FOREIGN KEY (workspace_id, controller_id)
        REFERENCES @extschema@.operators (workspace_id, id);
ALTER TABLE @extschema@.messages
    DROP CONSTRAINT messages_workspace_id_conversation_id_contact_id_fkey,
    ADD CONSTRAINT messages_workspace_id_conversation_id_contact_id_fkey
        FOREIGN KEY (workspace_id, conversation_id, contact_id)
        REFERENCES @extschema@.conversations (workspace_id, id, contact_id) ON DELETE CASCADE;
DROP TRIGGER guard_update ON @extschema@.conversations;
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'number', 'contact_id', 'created_at');

CREATE FUNCTION @extschema@.release_conversations() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'teams' THEN
        UPDATE @extschema@.conversations SET team_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND team_id OPERATOR(pg_catalog.=) OLD.id;
    ELSE
        UPDATE @extschema@.conversations SET assignee_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND assignee_id OPERATOR(pg_catalog.=) OLD.id;
        UPDATE @extschema@.conversations SET controller_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND controller_id OPERATOR(pg_catalog.=) OLD.id;
    END IF;
    RETURN OLD;
END;
$$;
COMMENT ON FUNCTION @extschema@.release_conversations() IS
    'Internal trigger: clears a removed operator or team from the conversations it was assigned or controlled';
REVOKE EXECUTE ON FUNCTION @extschema@.release_conversations() FROM PUBLIC;
CREATE TRIGGER release_conversations BEFORE DELETE ON @extschema@.operators
    FOR EACH ROW EXECUTE FUNCTION @extschema@.release_conversations();
CREATE TRIGGER release_conversations BEFORE DELETE ON @extschema@.teams
    FOR EACH ROW EXECUTE FUNCTION @extschema@.release_conversations();

-- The conversation counter moves out of workspaces into a row of its own
-- workspace (on Citus, beside the workspace's conversations; a shard's
-- trigger cannot write the workspaces reference table).
CREATE TABLE @extschema@.workspace_counters (
    workspace_id uuid NOT NULL REFERENCES @extschema@.workspaces (id),
    -- the last conversation number handed out
    last_conversation_number bigint NOT NULL DEFAULT 0 CHECK (last_conversation_number >= 0),
    PRIMARY KEY (workspace_id)
);
COMMENT ON TABLE @extschema@.workspace_counters IS
    'The last conversation number of each workspace; written only by the numbering trigger';
COMMENT ON COLUMN @extschema@.workspace_counters.last_conversation_number IS
    'The last conversation number handed out in the workspace';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.workspace_counters
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id');
-- (the counters move before the table gets its context trigger)
INSERT INTO @extschema@.workspace_counters (workspace_id, last_conversation_number)
SELECT id, last_conversation_number FROM @extschema@.workspaces
 WHERE last_conversation_number OPERATOR(pg_catalog.>) 0;
ALTER TABLE @extschema@.workspaces DROP COLUMN last_conversation_number;
ALTER TABLE @extschema@.workspace_counters ENABLE ROW LEVEL SECURITY;
ALTER TABLE @extschema@.workspace_counters FORCE ROW LEVEL SECURITY;
CREATE POLICY workspace_counters_admin_read ON @extschema@.workspace_counters FOR SELECT
    USING (workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace() AND (@extschema@.in_audience('{admin}')));
COMMENT ON POLICY workspace_counters_admin_read ON @extschema@.workspace_counters IS
    'Defined by woes. Admins read their workspace''s counter';
CREATE POLICY workspace_isolation ON @extschema@.workspace_counters AS RESTRICTIVE FOR ALL
    USING (workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace())
    WITH CHECK (@extschema@.in_workspace(workspace_id));
COMMENT ON POLICY workspace_isolation ON @extschema@.workspace_counters IS
    'Defined by woes. Restrictive: only rows of the context''s workspace are visible or writable';
CREATE TRIGGER require_context BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.workspace_counters
    FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_context();
SELECT pg_catalog.pg_extension_config_dump('@extschema@.workspace_counters', '');
REVOKE ALL ON @extschema@.workspace_counters FROM PUBLIC;
GRANT SELECT ON @extschema@.workspace_counters TO woes_admin;


CREATE OR REPLACE FUNCTION @extschema@.allocate_conversation_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore keeps the dumped numbers; the dumped counter comes with
    -- them (see woes.restoring() for what counts as a restore)
    IF NEW.number IS NOT NULL AND @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never touch (or lock) another workspace's counter: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    INSERT INTO @extschema@.workspace_counters AS c (workspace_id, last_conversation_number)
    VALUES (NEW.workspace_id, 1)
    ON CONFLICT (workspace_id) DO UPDATE
       SET last_conversation_number = c.last_conversation_number OPERATOR(pg_catalog.+) 1
    RETURNING c.last_conversation_number INTO NEW.number;
    RETURN NEW;
END;
$$;

-- doctor() checks that every woes policy isolates the workspace on its own
-- and, on Citus, asks the shards (doctor() itself is made again further
-- down, with shard_privileges); woes.distribute() makes the Citus layout.
-- On Citus (see woes.distribute()): the woes tables Citus has, and what is
-- wrong on their shards.  PL/pgSQL, so that a database without Citus (no
-- pg_dist_partition) can have them too.
CREATE FUNCTION @extschema@.citus_tables() RETURNS SETOF regclass
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE
            'SELECT d.logicalrelid FROM pg_catalog.pg_dist_partition d
               JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
              WHERE c.relnamespace = ''@extschema@''::regnamespace';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.citus_tables() IS
    'Internal: the woes tables Citus distributes or replicates (none without Citus)';

-- Each distributed woes table whose shards have a policy that does not
-- isolate the workspace: a restrictive one (Citus makes it permissive) or
-- a permissive one without the workspace test.  Asks every shard.
CREATE FUNCTION @extschema@.shard_policy_offenders() RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE $q$
            SELECT c.relname::text || ' (' || count(*) FILTER (WHERE NOT r.success OR r.result::bigint > 0)
                   || ' of ' || count(*) || ' shards)'
              FROM pg_catalog.pg_dist_partition d
              JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
             CROSS JOIN LATERAL pg_catalog.run_command_on_shards(d.logicalrelid,
                   $c$SELECT count(*) FROM pg_catalog.pg_policy p WHERE p.polrelid = '%s'::regclass
                       AND (NOT p.polpermissive
                            OR NOT coalesce(pg_catalog.pg_get_expr(p.polqual, p.polrelid), '')
                                   || coalesce(pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid), '')
                                   ~ 'workspace_id = (woes\.)?current_workspace\(\)|in_workspace\(workspace_id\)')$c$) r
             WHERE c.relnamespace = '@extschema@'::regnamespace AND d.partmethod = 'h'
             GROUP BY c.relname
            HAVING NOT bool_and(r.success AND r.result = '0')
             ORDER BY c.relname$q$;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.shard_policy_offenders() IS
    'Internal: the distributed woes tables with a shard policy that does not isolate the workspace (none without Citus)';

COMMENT ON FUNCTION @extschema@.doctor() IS
    'Self-check: one row per safety check (forced RLS, isolation policies, context triggers, pinned search_path and row_security, ids made by woes, free text out of statistics, dump registration, privileges); ok = false names the offenders';
REVOKE EXECUTE ON FUNCTION @extschema@.citus_tables(), @extschema@.shard_policy_offenders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.citus_tables(), @extschema@.shard_policy_offenders() TO woes_admin;

--------------------------------------------------------------------------
-- Scale-out: woes.distribute() turns the tables of a fresh install into a
-- Citus layout, once, on the coordinator.  Global lookup data (channels)
-- and the tenants (workspaces) become reference tables, a copy on every
-- node; every other table is distributed by workspace_id, all colocated,
-- so everything a workspace has lives in one shard group on one worker and
-- every woes statement of one workspace is routed there.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.distribute() RETURNS TABLE (step text, detail text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t           record;
    done        text[] := '{}';
    todo        text[];
    ready       text[];
    anchor      text;
    fresh       boolean := false;
    offenders   text[];
    failures    bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RAISE EXCEPTION 'Citus is not installed in this database'
            USING ERRCODE = 'WO501',
                  HINT = 'Run CREATE EXTENSION citus and add the workers first; woes.distribute() runs on the coordinator.';
    END IF;
    IF NOT (SELECT citus_is_coordinator()) THEN
        RAISE EXCEPTION 'woes.distribute() runs on the Citus coordinator'
            USING ERRCODE = 'WO501', HINT = 'Connect to the coordinator and call it there.';
    END IF;

    -- woes's tables carry triggers (Citus creates them on the shards only
    -- with this), and the reference tables are referenced by tables that
    -- are still local while the order below is worked through
    SET LOCAL citus.enable_unsafe_triggers = on;
    SET LOCAL citus.enable_local_reference_table_foreign_keys = off;

    -- The rows a database has already are copied into the new shards, where
    -- woes's triggers fire: they must take them as a restore does, exactly
    -- as they are (ids, numbers, no new history, no context needed), which
    -- is what row security off means for a superuser (woes.restoring()).
    -- The copies run on the workers, so the setting must reach them: Citus
    -- forwards a SET LOCAL only from a multi-statement context, a DO block
    -- is one.  Set back on at the end, there too.
    SET LOCAL citus.propagate_set_commands = local;
    EXECUTE 'DO $r$ BEGIN SET LOCAL row_security = off; END $r$';

    -- Citus creates a table's policies on its shards as permissive ones:
    -- the restrictive isolation policy would widen every audience to the
    -- whole workspace there.  Every woes policy carries the workspace test
    -- itself (80_row_security), so the restrictive one goes, before any
    -- shard exists.
    FOR t IN
        SELECT c.relname FROM pg_catalog.pg_policy p JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
         WHERE c.relnamespace = '@extschema@'::regnamespace AND p.polname = 'workspace_isolation'
           AND NOT p.polpermissive
           AND NOT EXISTS (SELECT FROM pg_dist_partition d WHERE d.logicalrelid = c.oid)
         ORDER BY 1
    LOOP
        EXECUTE format('DROP POLICY workspace_isolation ON @extschema@.%I', t.relname);
        step := 'policy'; detail := format('dropped the restrictive workspace_isolation of %s', t.relname);
        RETURN NEXT;
    END LOOP;

    -- reference tables
    FOREACH anchor IN ARRAY ARRAY['channels', 'workspaces'] LOOP
        IF NOT EXISTS (SELECT FROM pg_dist_partition
                        WHERE logicalrelid = format('@extschema@.%I', anchor)::regclass) THEN
            PERFORM create_reference_table(format('@extschema@.%I', anchor)::regclass);
            fresh := true;
            step := 'reference'; detail := anchor;
            RETURN NEXT;
        END IF;
        done := done || anchor;
    END LOOP;

    -- distributed tables, each after the tables its foreign keys point to,
    -- all colocated with the first
    SELECT array_agg(c.relname::text ORDER BY c.relname) INTO todo
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'r'
       AND c.relname <> ALL (done);
    SELECT min(c.relname) INTO anchor
      FROM pg_dist_partition d JOIN pg_catalog.pg_class c ON c.oid = d.logicalrelid
     WHERE c.relnamespace = '@extschema@'::regnamespace AND d.partmethod = 'h';
    WHILE cardinality(todo) > 0 LOOP
        SELECT array_agg(x ORDER BY x) INTO ready
          FROM unnest(todo) x
         WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_constraint k
                  JOIN pg_catalog.pg_class r ON r.oid = k.confrelid
                 WHERE k.conrelid = format('@extschema@.%I', x)::regclass AND k.contype = 'f'
                   AND r.relname <> x AND r.relname <> ALL (done));
        IF ready IS NULL THEN
            RAISE EXCEPTION 'the foreign keys of woes tables % form a cycle', todo;
        END IF;
        FOREACH t.relname IN ARRAY ready LOOP
            IF NOT EXISTS (SELECT FROM pg_dist_partition
                            WHERE logicalrelid = format('@extschema@.%I', t.relname)::regclass) THEN
                PERFORM create_distributed_table(format('@extschema@.%I', t.relname)::regclass, 'workspace_id',
                                                 colocate_with => CASE WHEN anchor IS NULL THEN 'default'
                                                                      ELSE format('@extschema@.%I', anchor) END);
                fresh := true;
                step := 'distributed'; detail := t.relname;
                RETURN NEXT;
            END IF;
            anchor := coalesce(anchor, t.relname);
            done := done || t.relname::text;
        END LOOP;
        todo := ARRAY(SELECT x FROM unnest(todo) x WHERE x <> ALL (done));
    END LOOP;

    -- API calls that run whole on the tenant's worker: every woes function
    -- whose last argument is "workspace uuid" (see woes_forward_call in
    -- shards.c) is a distributed function by it, colocated with the tables
    -- and force-delegated, so that Citus sends a call inside a transaction
    -- block too
    FOR t IN
        SELECT p.oid::regprocedure AS fn
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = '@extschema@'::regnamespace AND p.pronargs > 0
           AND p.proargnames[p.pronargs] = 'workspace'
           AND p.proargtypes[p.pronargs - 1] = 'pg_catalog.uuid'::regtype
           AND NOT EXISTS (SELECT FROM pg_dist_object o
                            WHERE o.classid = 'pg_catalog.pg_proc'::regclass AND o.objid = p.oid
                              AND o.distribution_argument_index IS NOT NULL)
         ORDER BY 1
    LOOP
        PERFORM create_distributed_function(t.fn::regprocedure, 'workspace',
                                            colocate_with => '@extschema@.conversations',
                                            force_delegation => true);
        step := 'function'; detail := format('%s runs on the worker of its workspace', t.fn);
        RETURN NEXT;
    END LOOP;

    -- Column-level privileges (the analyst's on conversations, the admin's
    -- on workspaces): Citus does not carry them to the shards, nor take a
    -- column GRANT on a distributed table, so they are granted on every
    -- placement here -- once the shards are committed: a placement made in
    -- this transaction is not visible to the connections that would grant.
    -- So the first call says to call again; shards made later (a
    -- rebalance, a split) get them when it runs again too.
    FOR t IN
        SELECT a.attrelid::regclass AS tbl, g.privilege_type AS priv, g.grantee::regrole AS grantee,
               string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols
          FROM pg_catalog.pg_attribute a
          CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) g
          JOIN pg_dist_partition d ON d.logicalrelid = a.attrelid
         WHERE a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
           AND (SELECT c.relnamespace FROM pg_catalog.pg_class c WHERE c.oid = a.attrelid) = '@extschema@'::regnamespace
         GROUP BY 1, 2, 3
         ORDER BY 1, 2, 3
    LOOP
        IF fresh THEN
            step := 'privileges';
            detail := format('%s (%s) on the shards of %s to %s: call woes.distribute() again after this commits',
                             t.priv, t.cols, t.tbl, t.grantee);
        ELSE
            SELECT count(*) FILTER (WHERE NOT r.success) INTO failures
              FROM run_command_on_placements(t.tbl,
                     format('GRANT %s (%s) ON %%s TO %I', t.priv, t.cols, t.grantee::text)) r;
            IF failures > 0 THEN
                RAISE EXCEPTION 'could not grant % (%) on % shards of %', t.priv, t.cols, failures, t.tbl
                    USING ERRCODE = 'WO501';
            END IF;
            step := 'privileges'; detail := format('%s (%s) on the shards of %s to %s', t.priv, t.cols, t.tbl, t.grantee);
        END IF;
        RETURN NEXT;
    END LOOP;

    -- Analysts read the views of woes_bi, which are security_invoker: on
    -- Citus their shard queries name the shards, in schema woes, on every
    -- node (the coordinator holds the reference tables' placements), as the
    -- analyst.  So on a cluster analysts need USAGE on woes after all; what
    -- they read there is still what their table and column grants and the
    -- policies allow (no subject, no message).
    EXECUTE 'GRANT USAGE ON SCHEMA @extschema@ TO woes_analyst';
    PERFORM run_command_on_workers('GRANT USAGE ON SCHEMA @extschema@ TO woes_analyst');
    step := 'privileges';
    detail := 'USAGE on schema woes to woes_analyst on every node (the shard queries of woes_bi name the shards)';
    RETURN NEXT;

    -- The ids the triggers draw on a worker (events, status and handoff
    -- history) come from that node's copy of the sequences, which CREATE
    -- EXTENSION made on every node starting at 1: each node gets a range of
    -- its own, as Citus gives the sequences it makes (the node's group id in
    -- the top 16 bits), so ids never collide between nodes.  Again after a
    -- node is added.
    PERFORM run_command_on_all_nodes($cmd$
        DO $range$
        DECLARE
            s    regclass;
            base bigint := (SELECT groupid FROM pg_catalog.pg_dist_local_group)::bigint << 48;
        BEGIN
            FOR s IN SELECT format('%I.%I', q.schemaname, q.sequencename)::regclass
                       FROM pg_catalog.pg_sequences q WHERE q.schemaname = '@extschema@'
            LOOP
                IF coalesce(pg_catalog.pg_sequence_last_value(s), 0) < base THEN
                    PERFORM pg_catalog.setval(s, base + 1, false);
                END IF;
            END LOOP;
        END;
        $range$
    $cmd$);
    step := 'sequences'; detail := 'a range of ids per node (group id << 48)';
    RETURN NEXT;

    EXECUTE 'DO $r$ BEGIN SET LOCAL row_security = on; END $r$';

    -- NOTIFY cannot be part of a transaction that Citus commits on several
    -- nodes: consumers poll the outbox.  A database setting is not carried
    -- to the workers, so it is set on each.
    EXECUTE format('ALTER DATABASE %I SET woes.notify = off', current_database());
    PERFORM run_command_on_workers(format('ALTER DATABASE %I SET woes.notify = off', current_database()));
    step := 'setting'; detail := 'woes.notify = off on every node';
    RETURN NEXT;

    -- The reference tables (channels, workspaces) are written through the
    -- coordinator only (create_workspace, an admin's UPDATE of its
    -- workspace's name and settings; no API call on a worker writes them).
    -- Otherwise Citus serialises each such write by locking the shard on
    -- the first worker, as the caller, with lock_shard_resources(), which
    -- demands UPDATE on the whole table: an admin, who may UPDATE only
    -- (name, settings), got "permission denied for table workspaces".
    -- With this, that remote lock is not taken (the coordinator's own lock
    -- serialises the writes), and a worker refuses to write a reference
    -- table.  Set on every node, like woes.notify.
    EXECUTE format('ALTER DATABASE %I SET citus.allow_modifications_from_workers_to_replicated_tables = off',
                   current_database());
    PERFORM run_command_on_workers(
        format('ALTER DATABASE %I SET citus.allow_modifications_from_workers_to_replicated_tables = off',
               current_database()));
    step := 'setting';
    detail := 'citus.allow_modifications_from_workers_to_replicated_tables = off on every node (reference tables are written through the coordinator)';
    RETURN NEXT;

    -- the context is a set of settings: Citus forwards a SET LOCAL of them
    -- to the workers only with this
    EXECUTE format('ALTER DATABASE %I SET citus.propagate_set_commands = local', current_database());
    step := 'setting'; detail := 'citus.propagate_set_commands = local (SET LOCAL of the context reaches the workers)';
    RETURN NEXT;

    -- The result, on the shards themselves: every policy of every shard
    -- isolates the workspace.  Shards made by this call are not visible to
    -- the connections that would ask them until it commits: then
    -- woes.doctor() (shard_policies) asks.
    IF fresh THEN
        step := 'check'; detail := 'after commit, woes.doctor() checks the policies on every shard';
        RETURN NEXT;
    ELSE
        SELECT array_agg(o) INTO offenders FROM @extschema@.shard_policy_offenders() o;
        IF offenders IS NOT NULL THEN
            RAISE EXCEPTION 'shard policies that do not isolate the workspace: %', array_to_string(offenders, ', ')
                USING ERRCODE = 'WO501';
        END IF;
        step := 'checked'; detail := format('%s shards of %s tables; every policy isolates the workspace',
            (SELECT count(*) FROM pg_dist_shard s WHERE s.logicalrelid IN (SELECT @extschema@.citus_tables())),
            (SELECT count(*) FROM @extschema@.citus_tables()));
        RETURN NEXT;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.distribute() IS
    'Distribute woes''s tables on a Citus coordinator (once, after CREATE EXTENSION; idempotent): channels and workspaces as reference tables, every other table by workspace_id, colocated; checks the shards';
REVOKE EXECUTE ON FUNCTION @extschema@.distribute() FROM PUBLIC;
ALTER FUNCTION @extschema@.distribute() SET row_security = on;

-- create_workspace() makes the new workspace's id itself, once (on Citus the
-- id trigger fires on every copy of the workspaces reference table)
CREATE OR REPLACE FUNCTION @extschema@.create_workspace(slug text, name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    -- SECURITY DEFINER: a new workspace has no context yet to write it under.
    -- EXECUTE is granted to woes_service and woes_admin only.
    IF create_workspace.slug IS NULL OR create_workspace.slug !~ '^[a-z0-9][a-z0-9-]{0,62}$' THEN
        RAISE EXCEPTION 'invalid workspace slug'
            USING ERRCODE = 'WO007',
                  HINT = 'A slug is 1 to 63 lowercase letters, digits or hyphens, starting with a letter or digit.';
    END IF;
    IF create_workspace.name IS NULL OR length(create_workspace.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid workspace name'
            USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    -- the id is made here, once: on Citus workspaces is a reference table,
    -- whose id trigger fires on every copy (see woes.assign_id())
    INSERT INTO @extschema@.workspaces (id, slug, name)
    VALUES (@extschema@.uuid_generate_v7(), create_workspace.slug, create_workspace.name)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'workspace slug "%" is taken', create_workspace.slug
            USING ERRCODE = 'WO008', HINT = 'Choose another slug.';
    END IF;
    RETURN new_id;
END;
$$;
ALTER FUNCTION @extschema@.create_workspace(text, text) SET row_security = on;

-- receive_message takes the workspace as an optional last argument: on
-- Citus the coordinator runs the call on the tenant's worker by it (see
-- woes.distribute()).
DROP FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz);
CREATE FUNCTION @extschema@.receive_message(channel text, thread_ref text, sender_external_id text,
                                            body text, external_message_id text,
                                            sender_name text DEFAULT NULL,
                                            sent_at timestamptz DEFAULT now(),
                                            workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_receive_message'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz, uuid) IS
    'Intake of a customer message from a channel: finds or creates identity, contact and conversation by the thread reference, appends the message; idempotent on (channel, external_message_id); returns the message id. workspace: the context''s (on Citus, naming it as a constant lets Citus send the call straight to the tenant''s worker)';
REVOKE EXECUTE ON FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz, uuid)
    TO woes_service, woes_admin;

-- On Citus a statement reaches one workspace's shards only when it names the
-- workspace by a value: the SQL API functions read the context's workspace
-- into a variable once instead of calling current_workspace() in each
-- statement.
CREATE OR REPLACE FUNCTION @extschema@.upsert_contact(channel text, external_id text,
                                           name text DEFAULT NULL, email text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- a variable, not the function in each statement: on Citus a statement
    -- is routed to the workspace's shards only by a value
    ws       uuid := @extschema@.current_workspace();
    found_id uuid;
    new_id   uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'upserting a contact');
    PERFORM @extschema@.require_channel(upsert_contact.channel);
    IF upsert_contact.external_id IS NULL OR length(upsert_contact.external_id) NOT BETWEEN 1 AND 512 THEN
        RAISE EXCEPTION 'invalid external id' USING ERRCODE = 'WO007', HINT = 'An external id is 1 to 512 characters.';
    END IF;
    IF length(upsert_contact.name) > 200 THEN
        RAISE EXCEPTION 'invalid contact name' USING ERRCODE = 'WO007', HINT = 'A name is at most 200 characters.';
    END IF;
    IF length(upsert_contact.email) > 320 THEN
        RAISE EXCEPTION 'invalid contact email' USING ERRCODE = 'WO007', HINT = 'An email address is at most 320 characters.';
    END IF;

    -- Serialise concurrent calls for one identity (a transaction-scoped
    -- advisory lock on its hash), so two deliveries from a new sender make
    -- one contact, not two.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(
        pg_catalog.concat_ws(' ', ws, upsert_contact.channel,
                             upsert_contact.external_id), 0));
    SELECT i.contact_id INTO found_id FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) ws
       AND i.channel OPERATOR(pg_catalog.=) upsert_contact.channel
       AND i.external_id OPERATOR(pg_catalog.=) upsert_contact.external_id;
    IF found_id IS NULL THEN
        INSERT INTO @extschema@.contacts (name, email)
        VALUES (upsert_contact.name, upsert_contact.email)
        RETURNING id INTO new_id;
        INSERT INTO @extschema@.identities (contact_id, channel, external_id)
        VALUES (new_id, upsert_contact.channel, upsert_contact.external_id);
        RETURN new_id;
    END IF;
    -- known contact: fill in what we learnt, never erase what we knew
    IF upsert_contact.name IS NOT NULL OR upsert_contact.email IS NOT NULL THEN
        UPDATE @extschema@.contacts c
           SET name = coalesce(upsert_contact.name, c.name),
               email = coalesce(upsert_contact.email, c.email)
         WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
           AND c.id OPERATOR(pg_catalog.=) found_id
           AND c.erased_at IS NULL
           AND (c.name IS DISTINCT FROM coalesce(upsert_contact.name, c.name)
                OR c.email IS DISTINCT FROM coalesce(upsert_contact.email, c.email));
    END IF;
    RETURN found_id;
END;
$$;

ALTER FUNCTION @extschema@.upsert_contact(text, text, text, text) SET row_security = on;

CREATE OR REPLACE FUNCTION @extschema@.add_team_member(team uuid, operator uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws        uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    member_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team member');
    -- every lookup names the workspace too: row-level security scopes them
    -- already, except for callers that bypass it (superusers)
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
                      AND t.id OPERATOR(pg_catalog.=) add_team_member.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', add_team_member.team USING ERRCODE = 'WO005';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.operators o
                    WHERE o.workspace_id OPERATOR(pg_catalog.=) ws
                      AND o.id OPERATOR(pg_catalog.=) add_team_member.operator) THEN
        RAISE EXCEPTION 'operator % not found in this workspace', add_team_member.operator USING ERRCODE = 'WO005';
    END IF;
    INSERT INTO @extschema@.team_members (team_id, operator_id)
    VALUES (add_team_member.team, add_team_member.operator)
    ON CONFLICT DO NOTHING
    RETURNING id INTO member_id;
    IF member_id IS NULL THEN       -- already a member: idempotent
        SELECT m.id INTO member_id FROM @extschema@.team_members m
         WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
           AND m.team_id OPERATOR(pg_catalog.=) add_team_member.team
           AND m.operator_id OPERATOR(pg_catalog.=) add_team_member.operator;
    END IF;
    RETURN member_id;
END;
$$;

ALTER FUNCTION @extschema@.add_team_member(uuid, uuid) SET row_security = on;

CREATE OR REPLACE FUNCTION @extschema@.start_conversation(contact uuid, channel text, subject text DEFAULT NULL,
                                               body text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a    @extschema@.audience := @extschema@.current_audience();
    ws   uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    conv uuid;
BEGIN
    PERFORM @extschema@.require_audience('{customer,operator,admin}', 'starting a conversation');
    PERFORM @extschema@.require_channel(start_conversation.channel);
    IF start_conversation.contact IS NULL
       OR (a OPERATOR(@extschema@.=) 'customer'
           AND start_conversation.contact OPERATOR(pg_catalog.<>) @extschema@.current_actor())
       OR NOT EXISTS (SELECT 1 FROM @extschema@.contacts c
                       WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
                         AND c.id OPERATOR(pg_catalog.=) start_conversation.contact)
    THEN
        RAISE EXCEPTION 'contact % not found in this workspace', start_conversation.contact
            USING ERRCODE = 'WO005';
    END IF;
    IF length(start_conversation.subject) > 1000 THEN
        RAISE EXCEPTION 'invalid subject' USING ERRCODE = 'WO007', HINT = 'A subject is at most 1000 characters.';
    END IF;
    IF length(start_conversation.body) > 100000 THEN
        RAISE EXCEPTION 'invalid message body'
            USING ERRCODE = 'WO007', HINT = 'A body is text of at most 100000 characters.';
    END IF;
    INSERT INTO @extschema@.conversations (channel, contact_id, subject)
    VALUES (start_conversation.channel, start_conversation.contact, start_conversation.subject)
    RETURNING id INTO conv;
    INSERT INTO @extschema@.participants (conversation_id, kind, contact_id)
    VALUES (conv, 'customer', start_conversation.contact);
    IF start_conversation.body IS NOT NULL THEN
        -- the customer's first words, or an operator's outbound message
        INSERT INTO @extschema@.messages (conversation_id, author_kind, author_id, body, channel)
        VALUES (conv,
                CASE WHEN a OPERATOR(@extschema@.=) 'customer' OR @extschema@.current_actor() IS NULL
                     THEN 'customer' ELSE 'operator' END,
                CASE WHEN a OPERATOR(@extschema@.=) 'customer' OR @extschema@.current_actor() IS NULL
                     THEN start_conversation.contact ELSE @extschema@.current_actor() END,
                start_conversation.body, start_conversation.channel);
    END IF;
    RETURN conv;
END;
$$;

ALTER FUNCTION @extschema@.start_conversation(uuid, text, text, text) SET row_security = on;

CREATE OR REPLACE FUNCTION @extschema@.reply(conversation uuid, body text,
                                  visibility @extschema@.visibility DEFAULT 'public',
                                  grounding jsonb DEFAULT NULL, trace jsonb DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a     @extschema@.audience := @extschema@.current_audience();
    actor uuid := @extschema@.current_actor();
    ws    uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    ch    text;
    msg   uuid;
BEGIN
    IF NOT @extschema@.in_audience('{agent,operator,admin}') THEN
        PERFORM @extschema@.require_audience('{agent,operator,admin}', 'replying');
    END IF;
    IF reply.body IS NULL OR length(reply.body) NOT BETWEEN 1 AND 100000 THEN
        PERFORM @extschema@.require_text(reply.body, 'message body', 100000);
    END IF;
    IF reply.conversation IS NULL OR reply.visibility IS NULL THEN
        RAISE EXCEPTION 'conversation and visibility must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF reply.grounding IS NOT NULL AND jsonb_typeof(reply.grounding) OPERATOR(pg_catalog.<>) 'array' THEN
        RAISE EXCEPTION 'grounding must be a JSON array of sources'
            USING ERRCODE = 'WO007', HINT = 'E.g. [{"url": "https://docs.example.com/a", "title": "A"}].';
    END IF;
    -- (a statement of its own: Citus takes no subquery in an INSERT)
    SELECT c.channel INTO ch FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) reply.conversation;
    INSERT INTO @extschema@.messages (conversation_id, author_kind, author_id, visibility, body, grounding, channel)
    VALUES (reply.conversation,
            CASE WHEN a OPERATOR(@extschema@.=) 'agent' THEN 'agent'
                 WHEN actor IS NULL THEN 'system' ELSE 'operator' END,
            actor, reply.visibility, reply.body, reply.grounding, ch)
    RETURNING id INTO msg;
    IF reply.trace IS NOT NULL THEN
        INSERT INTO @extschema@.message_traces (message_id, author_id, trace)
        VALUES (msg, actor, reply.trace);
    END IF;
    RETURN msg;
END;
$$;

ALTER FUNCTION @extschema@.reply(uuid, text, @extschema@.visibility, jsonb, jsonb) SET row_security = on;


-- handoff() takes the workspace as an optional last argument (on Citus the
-- coordinator runs the call on the tenant's worker by it); the API
-- functions that call it are made again on the new signature.
DROP FUNCTION @extschema@.request_handoff(uuid, text);
DROP FUNCTION @extschema@.take_over(uuid);
DROP FUNCTION @extschema@.release_to_automation(uuid);
DROP FUNCTION @extschema@.handoff(uuid, @extschema@.control, text);
CREATE FUNCTION @extschema@.handoff(conversation uuid, target @extschema@.control, reason text,
                                    workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_handoff'
    LANGUAGE C VOLATILE;
-- not STRICT: a NULL reason is normal; NULL ids get a clear error
COMMENT ON FUNCTION @extschema@.handoff(uuid, @extschema@.control, text, uuid) IS
    'Internal: the compare-and-set control change behind request_handoff, take_over and release_to_automation (workspace: the context''s; on Citus the call runs on the tenant''s worker)';

CREATE FUNCTION @extschema@.request_handoff(conversation uuid, reason text DEFAULT NULL) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'handoff_requested', reason);
COMMENT ON FUNCTION @extschema@.request_handoff(uuid, text) IS
    'Stop automation and ask for a person (agent, customer for its own conversation, or operator); a no-op unless under automation';

CREATE FUNCTION @extschema@.take_over(conversation uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'operator', NULL);
COMMENT ON FUNCTION @extschema@.take_over(uuid) IS
    'The context''s operator takes the conversation (automation stops); fails with WO302 naming the operator who already has it';

CREATE FUNCTION @extschema@.release_to_automation(conversation uuid) RETURNS void
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.handoff(conversation, 'automation', NULL);
COMMENT ON FUNCTION @extschema@.release_to_automation(uuid) IS
    'Give the conversation back to automation (needs an active agent serving its channel)';
REVOKE EXECUTE ON FUNCTION @extschema@.handoff(uuid, @extschema@.control, text, uuid),
    @extschema@.request_handoff(uuid, text), @extschema@.take_over(uuid),
    @extschema@.release_to_automation(uuid) FROM PUBLIC;
ALTER FUNCTION @extschema@.request_handoff(uuid, text) SET row_security = on;
ALTER FUNCTION @extschema@.take_over(uuid) SET row_security = on;
ALTER FUNCTION @extschema@.release_to_automation(uuid) SET row_security = on;
GRANT EXECUTE ON FUNCTION @extschema@.handoff(uuid, @extschema@.control, text, uuid),
    @extschema@.request_handoff(uuid, text), @extschema@.take_over(uuid),
    @extschema@.release_to_automation(uuid)
    TO woes_service, woes_admin;

-- The status API takes the workspace as an optional last argument (on
-- Citus the coordinator runs the call on the tenant's worker by it).
DROP FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz);
DROP FUNCTION @extschema@.resolve(uuid, text);
DROP FUNCTION @extschema@.reopen(uuid, text);
DROP FUNCTION @extschema@.close(uuid, text);
DROP FUNCTION @extschema@.set_pending(uuid, text);
DROP FUNCTION @extschema@.snooze(uuid, timestamptz, text);
CREATE FUNCTION @extschema@.transition(conversation uuid, to_status @extschema@.status,
                                       reason text DEFAULT NULL, snooze_until timestamptz DEFAULT NULL,
                                       workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_transition'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz, uuid) IS
    'Move a conversation to another status (with a reason; snooze_until for snoozed); false if it already was there';

CREATE FUNCTION @extschema@.resolve(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_resolve'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.resolve(uuid, text, uuid) IS 'Resolve a conversation; false if it already was';

CREATE FUNCTION @extschema@.reopen(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_reopen'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reopen(uuid, text, uuid) IS 'Reopen a conversation; false if it already was open';

CREATE FUNCTION @extschema@.close(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_close'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.close(uuid, text, uuid) IS 'Close a conversation for good; false if it already was';

CREATE FUNCTION @extschema@.set_pending(conversation uuid, reason text DEFAULT NULL,
    workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_set_pending'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_pending(uuid, text, uuid) IS
    'Mark a conversation as waiting for the customer; false if it already was';

CREATE FUNCTION @extschema@.snooze(conversation uuid, until timestamptz, reason text DEFAULT NULL,
                                   workspace uuid DEFAULT @extschema@.current_workspace())
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_snooze'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.snooze(uuid, timestamptz, text, uuid) IS
    'Snooze a conversation until a future time (again, to move the time); false if already snoozed until then';

REVOKE EXECUTE ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz, uuid),
    @extschema@.resolve(uuid, text, uuid), @extschema@.reopen(uuid, text, uuid),
    @extschema@.close(uuid, text, uuid), @extschema@.set_pending(uuid, text, uuid),
    @extschema@.snooze(uuid, timestamptz, text, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz, uuid),
    @extschema@.resolve(uuid, text, uuid), @extschema@.reopen(uuid, text, uuid),
    @extschema@.close(uuid, text, uuid), @extschema@.set_pending(uuid, text, uuid),
    @extschema@.snooze(uuid, timestamptz, text, uuid)
    TO woes_service, woes_admin;

-- channels.thread_keys holds the function's signature as text, with its
-- schema: channels is a reference table on Citus, and a regprocedure is an
-- OID, which differs between nodes.
ALTER TABLE @extschema@.channels ALTER COLUMN thread_keys TYPE text
    USING thread_keys::pg_catalog.oid::text;
UPDATE @extschema@.channels c
   SET thread_keys = (SELECT pg_catalog.format('%I.%I(%s)', n.nspname, p.proname,
                                               pg_catalog.oidvectortypes(p.proargtypes))
                        FROM pg_catalog.pg_proc p
                        JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) p.pronamespace
                       WHERE p.oid OPERATOR(pg_catalog.=) c.thread_keys::pg_catalog.oid)
 WHERE c.thread_keys IS NOT NULL;
ALTER TABLE @extschema@.channels
    ADD CHECK (pg_catalog.strpos(pg_catalog.split_part(thread_keys, '(', 1), '.') > 0);
CREATE OR REPLACE FUNCTION @extschema@.thread_keys(channel text, thread_ref text) RETURNS text[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
    keys text[];
BEGIN
    -- resolved on this node (the search_path is pinned: the name has its schema)
    SELECT c.thread_keys::pg_catalog.regprocedure INTO fn FROM @extschema@.channels c
     WHERE c.name OPERATOR(pg_catalog.=) thread_keys.channel;
    IF fn IS NULL THEN
        keys := ARRAY[btrim(thread_ref)];
    ELSE
        EXECUTE format('SELECT %s($1)', fn::regproc) INTO keys USING thread_ref;
    END IF;
    RETURN array_remove(keys, '');
END;
$$;

-- event_horizon() takes the workspace (on Citus the horizon is that of the
-- workspace's worker, where its events are written) and is no longer
-- SECURITY DEFINER (it reads the sequence as the owner inside); the outbox
-- readers route by the workspace as a value.
DROP FUNCTION @extschema@.event_horizon();
CREATE FUNCTION @extschema@.event_horizon(workspace uuid DEFAULT @extschema@.current_workspace()) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_event_horizon'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.event_horizon(uuid) IS
    'Every event id below this belongs to a transaction that has ended (committed or rolled back): the gap-free limit for cursors (on Citus: of the workspace''s node)';
REVOKE EXECUTE ON FUNCTION @extschema@.event_horizon(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.event_horizon(uuid) TO woes_service, woes_admin;
-- The outbox's checks and page in C (src/events.c): outbox_horizon does
-- what require_read_committed did for it, and events_since reads the page
-- from the outbox's key where its query could not answer otherwise.
-- CREATE OR REPLACE sets what the C functions have: no SET clauses (they
-- pin what they need themselves).
CREATE OR REPLACE FUNCTION @extschema@.outbox_horizon(action text, max integer) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_outbox_horizon'
    LANGUAGE C VOLATILE;
DROP FUNCTION @extschema@.require_read_committed();
CREATE OR REPLACE FUNCTION @extschema@.events_since("cursor" bigint, max integer DEFAULT 1000)
    RETURNS SETOF @extschema@.events
    AS 'MODULE_PATHNAME', 'woes_events_since'
    LANGUAGE C VOLATILE;
CREATE OR REPLACE FUNCTION @extschema@.resolved_conversations("cursor" bigint DEFAULT 0, max integer DEFAULT 1000)
    RETURNS TABLE (event_id bigint, conversation_id uuid, number bigint, channel text,
                   contact_id uuid, assignee_id uuid, team_id uuid, subject text,
                   custom_fields jsonb, created_at timestamptz, resolved_at timestamptz,
                   resolved_by text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();   -- a value: see upsert_contact
    past    bigint := coalesce(resolved_conversations."cursor", 0);   -- a value: see events_since
    horizon bigint;
BEGIN
    horizon := @extschema@.outbox_horizon('exporting resolved conversations', resolved_conversations.max);
    RETURN QUERY
        SELECT e.id, c.id, c.number, c.channel, c.contact_id, c.assignee_id, c.team_id, c.subject,
               (SELECT coalesce(pg_catalog.jsonb_object_agg(v.key, v.value ORDER BY v.key), '{}'::jsonb)
                  FROM @extschema@.conversation_fields v
                 WHERE v.workspace_id OPERATOR(pg_catalog.=) ws
                   AND v.conversation_id OPERATOR(pg_catalog.=) c.id),
               c.created_at, e.created_at,
               e.payload OPERATOR(pg_catalog.->>) 'actor_kind'
          FROM @extschema@.events e
          JOIN @extschema@.conversations c
            ON c.workspace_id OPERATOR(pg_catalog.=) e.workspace_id
           AND c.id OPERATOR(pg_catalog.=) e.conversation_id
         WHERE e.workspace_id OPERATOR(pg_catalog.=) ws
           AND e.id OPERATOR(pg_catalog.>) past
           AND e.id OPERATOR(pg_catalog.<) horizon
           AND e.kind OPERATOR(pg_catalog.=) 'conversation.status_changed'
           AND e.payload OPERATOR(pg_catalog.->>) 'to' OPERATOR(pg_catalog.=) 'resolved'
         ORDER BY e.id
         LIMIT resolved_conversations.max;
END;
$$;
ALTER FUNCTION @extschema@.resolved_conversations(bigint, integer) SET row_security = on;

-- A warehouse export reads resolutions only: this index gives them to it in
-- cursor order, a page at a time, however sparse they are among the
-- workspace's events (through the primary key a page would read every
-- event in between, and the planner, with no statistics on payload, may
-- instead read the whole range after the cursor and sort it).  One entry
-- per resolution, nothing for other events.
CREATE INDEX events_resolutions_idx ON @extschema@.events (workspace_id, id)
    WHERE kind OPERATOR(pg_catalog.=) 'conversation.status_changed'
      AND payload OPERATOR(pg_catalog.->>) 'to' OPERATOR(pg_catalog.=) 'resolved';
COMMENT ON INDEX @extschema@.events_resolutions_idx IS
    'The outbox''s resolutions in cursor order, for woes.resolved_conversations';

-- redact_message and erase_contact name the workspace in every statement
-- (on Citus: routed to its shards, not sent to all).
CREATE OR REPLACE FUNCTION @extschema@.redact_message(message uuid, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'redacting a message');
    PERFORM @extschema@.require_text(redact_message.reason, 'reason', 1000);
    -- a redacted message is final (the guard refuses any later change), so
    -- redacting it again is a no-op that keeps the first record
    UPDATE @extschema@.messages m
       SET body = NULL, attachments = '[]', grounding = NULL,
           redacted_at = now(), redacted_by = @extschema@.current_actor(),
           redaction_reason = redact_message.reason
     WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
       AND m.id OPERATOR(pg_catalog.=) redact_message.message
       AND m.redacted_at IS NULL;
    IF NOT FOUND AND NOT EXISTS (SELECT 1 FROM @extschema@.messages m
                                  WHERE m.workspace_id OPERATOR(pg_catalog.=) ws
                                    AND m.id OPERATOR(pg_catalog.=) redact_message.message) THEN
        RAISE EXCEPTION 'message % not found in this workspace', redact_message.message USING ERRCODE = 'WO005';
    END IF;
    DELETE FROM @extschema@.message_traces t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) ws AND t.message_id OPERATOR(pg_catalog.=) redact_message.message;
END;
$$;

ALTER FUNCTION @extschema@.redact_message(uuid, text) SET row_security = on;

CREATE OR REPLACE FUNCTION @extschema@.erase_contact(contact uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    t  timestamptz := now();    -- a value: Citus takes no now() inside coalesce
    m  uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'erasing a contact');
    IF NOT EXISTS (SELECT 1 FROM @extschema@.contacts c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
                      AND c.id OPERATOR(pg_catalog.=) erase_contact.contact) THEN
        RAISE EXCEPTION 'contact % not found in this workspace', erase_contact.contact USING ERRCODE = 'WO005';
    END IF;
    FOR m IN SELECT x.id FROM @extschema@.messages x
              WHERE x.workspace_id OPERATOR(pg_catalog.=) ws
                AND x.author_kind OPERATOR(pg_catalog.=) 'customer'
                AND x.author_id OPERATOR(pg_catalog.=) erase_contact.contact
                AND x.redacted_at IS NULL
    LOOP
        PERFORM @extschema@.redact_message(m, 'contact erased');
    END LOOP;
    UPDATE @extschema@.conversations c SET subject = NULL
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.thread_refs r USING @extschema@.conversations c
     WHERE r.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.workspace_id OPERATOR(pg_catalog.=) r.workspace_id AND c.id OPERATOR(pg_catalog.=) r.conversation_id
       AND c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.participants p SET display_name = NULL
     WHERE p.workspace_id OPERATOR(pg_catalog.=) ws AND p.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) ws AND i.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.contacts c
       SET name = NULL, email = NULL, metadata = '{}', erased_at = coalesce(c.erased_at, t)
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) erase_contact.contact;
END;
$$;

ALTER FUNCTION @extschema@.erase_contact(uuid) SET row_security = on;


-- woes's SECURITY DEFINER functions that act in a workspace for one write set
-- the context with switch_context(), which also reaches Citus workers
-- (set_config() changes this node only).
CREATE FUNCTION @extschema@.switch_context(workspace text, audience text, actor text) RETURNS void
    AS 'MODULE_PATHNAME', 'woes_switch_context'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.switch_context(text, text, text) IS
    'Internal: set the context settings for the rest of the transaction, unchecked, also on Citus workers (for woes''s own SECURITY DEFINER functions; owner only)';
REVOKE EXECUTE ON FUNCTION @extschema@.switch_context(text, text, text) FROM PUBLIC;
-- Internal: at commit, end every other session of a role in this database
-- (src/bindings.c): a binding is read when a session starts, so one that
-- changes reaches the role's open sessions only by their reconnecting.
CREATE FUNCTION @extschema@.end_sessions_at_commit(role regrole) RETURNS void
    AS 'MODULE_PATHNAME', 'woes_end_sessions_at_commit'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.end_sessions_at_commit(regrole) IS
    'Internal: when this transaction commits, end every other session of the role in this database (bind_role and unbind_role call it)';

REVOKE EXECUTE ON FUNCTION @extschema@.end_sessions_at_commit(regrole) FROM PUBLIC;

CREATE OR REPLACE FUNCTION @extschema@.bind_role(role regrole, workspace uuid, audience @extschema@.audience,
                                      actor uuid DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r pg_catalog.pg_roles;
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
BEGIN
    -- SECURITY DEFINER: writing per-role defaults of superuser-only settings
    -- (ALTER ROLE ... SET) needs the owner's rights.  EXECUTE: woes_admin only.
    IF bind_role.role IS NULL OR bind_role.workspace IS NULL OR bind_role.audience IS NULL THEN
        RAISE EXCEPTION 'role, workspace and audience must not be null' USING ERRCODE = 'WO007';
    END IF;
    SELECT * INTO r FROM pg_catalog.pg_roles WHERE oid OPERATOR(pg_catalog.=) bind_role.role;
    IF r.rolsuper OR r.rolbypassrls THEN
        RAISE EXCEPTION 'role "%" bypasses row-level security and cannot be bound', r.rolname
            USING ERRCODE = 'WO007', HINT = 'Bind a role without SUPERUSER and BYPASSRLS.';
    END IF;
    IF r.rolname OPERATOR(pg_catalog.=) ANY ('{woes_service,woes_admin,woes_analyst}') THEN
        RAISE EXCEPTION 'the group role "%" cannot be bound', r.rolname
            USING ERRCODE = 'WO007', HINT = 'Bind a login role (a member of the group) instead.';
    END IF;
    -- a binding is a per-role default, so it reaches every session of the
    -- role: bound, a pooled application role would give every transaction
    -- of every client that forgot its context this workspace and audience
    IF pg_catalog.pg_has_role(bind_role.role, 'woes_service', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" is a member of woes_service and cannot be bound', r.rolname
            USING ERRCODE = 'WO003',
                  DETAIL = 'A binding would give every transaction of the application, and of every client sharing its pooled connections, a default context.',
                  HINT = 'Applications set the context in each transaction; bind a separate login role for BI tools and people.';
    END IF;
    IF bind_role.audience OPERATOR(@extschema@.=) 'admin'
       AND NOT pg_catalog.pg_has_role(bind_role.role, 'woes_admin', 'USAGE') THEN
        RAISE EXCEPTION 'only members of woes_admin can be bound to the admin audience'
            USING ERRCODE = 'WO003';
    END IF;
    -- the workspace exists; the actor is one of it, of the audience's kind
    PERFORM @extschema@.check_context(bind_role.workspace, bind_role.audience, bind_role.actor);

    -- one binding per role: it is one set of per-role defaults.  Writing
    -- role_bindings needs a context: act, for this call, as the admin of
    -- each workspace touched (the caller's context is restored after).
    PERFORM @extschema@.unbind_role(bind_role.role);
    PERFORM @extschema@.switch_context(bind_role.workspace::text, 'admin', '');
    INSERT INTO @extschema@.role_bindings (workspace_id, role_name, audience, actor)
    VALUES (bind_role.workspace, r.rolname, bind_role.audience, bind_role.actor);
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    -- per role in this database only: the binding (and its workspace) lives here
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.workspace = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.workspace);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.audience = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.audience);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.actor = %L',
                   r.rolname, pg_catalog.current_database(), coalesce(bind_role.actor::text, ''));
    -- the role's open sessions have the old defaults, or none: ended at commit
    PERFORM @extschema@.end_sessions_at_commit(bind_role.role);
END;
$$;

ALTER FUNCTION @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid) SET row_security = on;

CREATE OR REPLACE FUNCTION @extschema@.unbind_role(role regrole) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    rolname name := (SELECT r.rolname FROM pg_catalog.pg_roles r WHERE r.oid OPERATOR(pg_catalog.=) unbind_role.role);
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
    ws uuid;
    found_any boolean := false;
BEGIN
    IF rolname IS NULL THEN
        RAISE EXCEPTION 'role must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- such a role can never be bound; refused here too, so that unbinding
    -- (which ends the role's sessions) cannot reach past what binding can
    IF (SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r
         WHERE r.oid OPERATOR(pg_catalog.=) unbind_role.role) THEN
        RAISE EXCEPTION 'role "%" bypasses row-level security and cannot be bound', rolname
            USING ERRCODE = 'WO007';
    END IF;
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.workspace', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.audience', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.actor', rolname, pg_catalog.current_database());
    -- writing role_bindings needs a context: act, for this call, as the
    -- admin of the binding's workspace (the owner sees every workspace)
    FOR ws IN SELECT b.workspace_id FROM @extschema@.role_bindings b
               WHERE b.role_name OPERATOR(pg_catalog.=) rolname
    LOOP
        PERFORM @extschema@.switch_context(ws::text, 'admin', '');
        DELETE FROM @extschema@.role_bindings b
         WHERE b.workspace_id OPERATOR(pg_catalog.=) ws
           AND b.role_name OPERATOR(pg_catalog.=) rolname;
        found_any := true;
    END LOOP;
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    -- the role's open sessions still have the old defaults: ended at commit
    IF found_any THEN
        PERFORM @extschema@.end_sessions_at_commit(unbind_role.role);
    END IF;
    RETURN found_any;
END;
$$;

ALTER FUNCTION @extschema@.unbind_role(regrole) SET row_security = on;
COMMENT ON FUNCTION @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid) IS
    'Give every session of role in this database this context by default (for BI tools and psql); the role''s open sessions are ended when this commits; woes_admin only';
COMMENT ON FUNCTION @extschema@.unbind_role(regrole) IS
    'Remove a role''s default context (its open sessions are ended when this commits); returns whether it had one; woes_admin only';

CREATE OR REPLACE FUNCTION @extschema@.wake_snoozed("at" timestamptz DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- SECURITY DEFINER: a scheduled job wakes the due conversations of
    -- every workspace, one workspace (context) at a time.  With a context
    -- set, only that workspace.  EXECUTE: woes_service and woes_admin.
    -- read through the C accessors: they load the module, which defines
    -- the settings (current_setting would fail in a fresh session)
    saved_workspace text := coalesce(@extschema@.current_workspace()::text, '');
    saved_audience  text := coalesce(@extschema@.current_audience()::text, 'none');
    saved_actor     text := coalesce(@extschema@.current_actor()::text, '');
    saved_reason    text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    ws    uuid;
    n     integer := 0;
    k     integer;
BEGIN
    IF wake_snoozed."at" IS NULL THEN
        RAISE EXCEPTION 'at must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- the reason of the history rows: a SET LOCAL statement, not a SET
    -- clause, so that Citus forwards it to the workers where the UPDATEs
    -- fire the lifecycle trigger (a SET clause changes this node only).
    -- In a DO block: Citus forwards a SET LOCAL of a function's own body
    -- only inside a transaction block, one of a DO block always (as in
    -- distribute()).  Set back below: it would outlast this call.
    EXECUTE 'DO $r$ BEGIN SET LOCAL woes.reason = ''snooze_expired''; END $r$';
    FOR ws IN
        SELECT DISTINCT c.workspace_id FROM @extschema@.conversations c
         WHERE c.status OPERATOR(@extschema@.=) 'snoozed'
           AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
           AND (saved_workspace OPERATOR(pg_catalog.=) ''
                OR c.workspace_id OPERATOR(pg_catalog.=) saved_workspace::uuid)
    LOOP
        -- the wake-up acts as the system (no actor) in that workspace
        PERFORM @extschema@.switch_context(ws::text, 'operator', '');
        -- claim due rows; rows another transaction holds (a customer reply,
        -- another runner) are skipped, never woken twice
        WITH due AS (
            SELECT c.id FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.status OPERATOR(@extschema@.=) 'snoozed'
               AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
               FOR UPDATE SKIP LOCKED
        )
        UPDATE @extschema@.conversations c SET status = 'open'
          FROM due
         WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) due.id;
        GET DIAGNOSTICS k = ROW_COUNT;
        n := n + k;
    END LOOP;
    PERFORM @extschema@.switch_context(saved_workspace, saved_audience, saved_actor);
    EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved_reason));
    RETURN n;
END;
$$;

ALTER FUNCTION @extschema@.wake_snoozed(timestamptz) SET row_security = on;


-- doctor() also checks, on Citus, that every placement has the column
-- privileges of its table (shard_privileges).
-- Each Citus woes table with a column privilege of its shell that a
-- placement lacks (Citus does not carry column privileges to the shards;
-- woes.distribute() grants them there).  Asks every placement, by role
-- name (a role's OID differs between nodes).
CREATE FUNCTION @extschema@.shard_privilege_offenders() RETURNS SETOF text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF EXISTS (SELECT FROM pg_catalog.pg_extension WHERE extname = 'citus') THEN
        RETURN QUERY EXECUTE $q$
            WITH want AS (
                SELECT a.attrelid::regclass AS tbl,
                       pg_catalog.format('(%L, %L, %L)', a.attname, g.grantee::regrole::text, g.privilege_type) AS v
                  FROM pg_catalog.pg_attribute a
                 CROSS JOIN LATERAL pg_catalog.aclexplode(a.attacl) g
                  JOIN pg_catalog.pg_dist_partition d ON d.logicalrelid = a.attrelid
                  JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
                 WHERE c.relnamespace = '@extschema@'::regnamespace
                   AND a.attacl IS NOT NULL AND a.attnum > 0 AND NOT a.attisdropped
            ), tbls AS (
                SELECT tbl, string_agg(v, ', ') AS vals FROM want GROUP BY tbl
            )
            SELECT t.tbl::text || ' (' || count(*) FILTER (WHERE NOT r.success OR r.result <> '0')
                   || ' of ' || count(*) || ' placements)'
              FROM tbls t
             CROSS JOIN LATERAL pg_catalog.run_command_on_placements(t.tbl,
                   'SELECT count(*) FROM (VALUES ' || t.vals || ') v(col, grantee, priv)'
                   ' WHERE NOT pg_catalog.has_column_privilege(v.grantee, ''%s''::regclass, v.col, v.priv)') r
             GROUP BY t.tbl
            HAVING NOT bool_and(r.success AND r.result = '0')
             ORDER BY 1$q$;
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.shard_privilege_offenders() IS
    'Internal: the Citus woes tables with a placement lacking a column privilege of the table (none without Citus)';

REVOKE EXECUTE ON FUNCTION @extschema@.shard_privilege_offenders() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.shard_privilege_offenders() TO woes_admin;
CREATE OR REPLACE FUNCTION @extschema@.doctor(OUT "check" text, OUT ok boolean, OUT detail text)
    RETURNS SETOF record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
    WITH tables AS (
        SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity,
               c.relname <> 'channels' AS per_workspace
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind IN ('r', 'p')
    ), funcs AS (
        SELECT p.oid, p.oid::regprocedure::text AS sig, p.proconfig, l.lanname, p.proacl, p.proowner,
               coalesce(obj_description(p.oid, 'pg_proc'), '') AS doc
          FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_language l ON l.oid = p.prolang
         WHERE p.pronamespace = '@extschema@'::regnamespace
    ), findings ("check", offenders) AS (
        SELECT 'rls_forced', array_agg(relname ORDER BY relname)
          FROM tables WHERE NOT (relrowsecurity AND relforcerowsecurity)
        UNION ALL
        -- (on Citus, woes.distribute() drops it: it would reach the shards
        -- as a permissive policy; shard_policies checks them instead)
        SELECT 'isolation_policy', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_policy p
                 WHERE p.polrelid = t.oid AND NOT p.polpermissive AND p.polcmd = '*'
                   AND p.polname = 'workspace_isolation')
           AND t.oid NOT IN (SELECT @extschema@.citus_tables())
        UNION ALL
        -- every woes policy isolates the workspace on its own
        SELECT 'policies_isolate', array_agg(t.relname || '.' || p.polname ORDER BY t.relname, p.polname)
          FROM tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
         WHERE t.per_workspace AND p.polpermissive
           AND obj_description(p.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND NOT coalesce(pg_get_expr(p.polqual, p.polrelid), '') || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
               ~ '(workspace_id|id) = (@extschema@\.)?current_workspace\(\)|in_workspace\((workspace_id|id)\)'
        UNION ALL
        -- every woes policy as woes defined it: for every role, and still
        -- matching the fingerprint its comment ends with (one an ALTER
        -- POLICY narrowed or rewrote, or whose sibling was dropped, sends
        -- the direct paths to the statements; see src/policies.c)
        SELECT 'policies_as_defined', array_agg(t.relname || '.' || p.polname ORDER BY t.relname, p.polname)
          FROM tables t JOIN pg_catalog.pg_policy p ON p.polrelid = t.oid
         WHERE obj_description(p.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND (p.polroles <> '{0}'
                OR obj_description(p.oid, 'pg_policy')
                   NOT LIKE '%' || E'\nwoes fingerprint: ' || @extschema@.policy_fingerprint(p.oid))
        UNION ALL
        SELECT 'shard_policies', array_agg(o ORDER BY o) FROM @extschema@.shard_policy_offenders() o
        UNION ALL
        SELECT 'shard_privileges', array_agg(o ORDER BY o) FROM @extschema@.shard_privilege_offenders() o
        UNION ALL
        SELECT 'audience_policies', array_agg(relname ORDER BY relname)
          FROM tables t WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_policy p WHERE p.polrelid = t.oid AND p.polpermissive)
        UNION ALL
        SELECT 'context_trigger', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_trigger g
                 WHERE g.tgrelid = t.oid AND g.tgname = 'require_context' AND g.tgenabled <> 'D')
        UNION ALL
        SELECT 'workspace_keys', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND relname <> 'workspaces' AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_attribute a
                    ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                 WHERE k.conrelid = t.oid AND k.contype = 'p' AND a.attname = 'workspace_id')
        UNION ALL
        SELECT 'dump_registration', array_agg(relname ORDER BY relname)
          FROM tables t WHERE NOT EXISTS (
                SELECT FROM pg_catalog.pg_extension e
                 WHERE e.extname = 'woes' AND t.oid = ANY (e.extconfig))
        UNION ALL
        SELECT 'dump_registration_sequences', array_agg(c.relname ORDER BY c.relname)
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'S'
           AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_extension e
                 WHERE e.extname = 'woes' AND c.oid = ANY (e.extconfig))
        UNION ALL
        SELECT 'search_path', array_agg(sig ORDER BY sig)
          FROM funcs WHERE lanname NOT IN ('c', 'internal')
           AND NOT coalesce(proconfig::text[] && ARRAY['search_path=pg_catalog, pg_temp'], false)
        UNION ALL
        -- the API runs with row_security on whatever the caller set (see
        -- woes.restoring()); triggers are where a restore is recognised
        SELECT 'rules_pinned', array_agg(f.sig ORDER BY f.sig)
          FROM funcs f JOIN pg_catalog.pg_proc p ON p.oid = f.oid
         WHERE f.lanname NOT IN ('c', 'internal') AND p.provolatile = 'v'
           AND p.prorettype <> 'pg_catalog.trigger'::regtype
           AND NOT coalesce(f.proconfig::text[] && ARRAY['row_security=on'], false)
        UNION ALL
        SELECT 'ids_made_by_woes', array_agg(t.relname ORDER BY t.relname)
          FROM tables t JOIN pg_catalog.pg_attribute a
            ON a.attrelid = t.oid AND a.attname = 'id' AND a.atttypid = 'pg_catalog.uuid'::regtype
         WHERE a.atthasdef OR NOT EXISTS (
                SELECT FROM pg_catalog.pg_trigger g
                 WHERE g.tgrelid = t.oid AND g.tgname = '_assign_id' AND g.tgenabled <> 'D'
                   AND g.tgfoid = '@extschema@.assign_id()'::regprocedure)
        UNION ALL
        SELECT 'free_text_statistics', array_agg(t.relname || '.' || a.attname ORDER BY t.relname, a.attname)
          FROM tables t JOIN pg_catalog.pg_attribute a ON a.attrelid = t.oid
         WHERE t.per_workspace AND a.attnum > 0 AND NOT a.attisdropped
           AND (a.atttypid IN ('pg_catalog.text'::regtype, 'pg_catalog.jsonb'::regtype, 'pg_catalog.json'::regtype)
                OR (SELECT ty.typcategory FROM pg_catalog.pg_type ty WHERE ty.oid = a.atttypid) = 'A')
           AND NOT a.attname = ANY ('{channel,channels,kind,author_kind,actor_kind}')
           AND a.attstattarget IS DISTINCT FROM 0
        UNION ALL
        SELECT 'internal_not_public', array_agg(sig ORDER BY sig)
          FROM funcs WHERE doc LIKE 'Internal%'
           AND (proacl IS NULL OR EXISTS (
                SELECT FROM aclexplode(proacl) x WHERE x.grantee = 0 AND x.privilege_type = 'EXECUTE'))
        UNION ALL
        SELECT 'schema_create', array_agg(DISTINCT coalesce(r.rolname, 'PUBLIC'))
          FROM pg_catalog.pg_namespace n, aclexplode(n.nspacl) x
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
         WHERE n.oid = '@extschema@'::regnamespace AND x.privilege_type = 'CREATE'
           AND x.grantee <> n.nspowner
        UNION ALL
        SELECT 'no_truncate', array_agg(DISTINCT t.relname || ' to ' || coalesce(r.rolname, 'PUBLIC'))
          FROM tables t JOIN pg_catalog.pg_class c ON c.oid = t.oid, aclexplode(c.relacl) x
          LEFT JOIN pg_catalog.pg_roles r ON r.oid = x.grantee
         WHERE x.privilege_type = 'TRUNCATE' AND x.grantee <> c.relowner
        UNION ALL
        SELECT 'views_security_invoker', array_agg(c.relname ORDER BY c.relname)
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = '@extschema@'::regnamespace AND c.relkind = 'v'
           AND NOT coalesce(c.reloptions::text[] && ARRAY['security_invoker=true', 'security_invoker=on'], false)
    )
    SELECT f."check", f.offenders IS NULL,
           CASE WHEN f.offenders IS NULL THEN 'ok'
                ELSE array_to_string(f.offenders, ', ') END
      FROM findings f
$$;

-- The views: names from other tables as scalar subqueries instead of
-- outer joins (Citus on PostgreSQL 15 and 16 refuses an outer join beside
-- the policies' audience tests); every view ends with workspace_id (on
-- Citus a read that names it is routed to the workspace's worker).
CREATE OR REPLACE VIEW @extschema@.customer_conversations WITH (security_invoker = true) AS
SELECT c.id, c.number, c.channel, c.subject,
       CASE WHEN c.status OPERATOR(@extschema@.=) ANY ('{open,snoozed}') THEN 'open'
            WHEN c.status OPERATOR(@extschema@.=) 'pending' THEN 'awaiting_customer'
            ELSE c.status::text END AS status,
       c.previous_conversation_id, c.created_at, c.last_message_at, c.workspace_id
  FROM @extschema@.conversations c
 WHERE c.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
CREATE OR REPLACE VIEW @extschema@.customer_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.body, m.attachments, m.created_at,
       m.redacted_at IS NOT NULL AS redacted, m.workspace_id
  FROM @extschema@.messages m
 WHERE m.visibility OPERATOR(@extschema@.=) 'public'
   AND m.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
CREATE OR REPLACE VIEW @extschema@.agent_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding,
       (SELECT t.trace FROM @extschema@.message_traces t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id
           AND t.message_id OPERATOR(pg_catalog.=) m.id) AS trace,
       m.created_at, m.redacted_at, m.workspace_id
  FROM @extschema@.messages m
 WHERE @extschema@.can_see('agent', m.visibility, m.author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE OR REPLACE VIEW @extschema@.operator_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding,
       (SELECT t.trace FROM @extschema@.message_traces t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id
           AND t.message_id OPERATOR(pg_catalog.=) m.id) AS trace,
       m.channel, m.external_id, m.created_at, m.edited_at,
       m.redacted_at, m.redacted_by, m.redaction_reason, m.workspace_id
  FROM @extschema@.messages m;
-- (inbox: made again at the end, with the tags)

-- Every workspace_id column defaults to context_workspace(): the context's
-- workspace, or WO001 without a context (on Citus the coordinator evaluates
-- the default to route a row, and a NULL would be Citus's own error).
CREATE FUNCTION @extschema@.context_workspace() RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_context_workspace_sql'
    LANGUAGE C STABLE PARALLEL SAFE COST 1;
COMMENT ON FUNCTION @extschema@.context_workspace() IS
    'The context''s workspace, or WO001 without a context: the default of every workspace_id column (on Citus the coordinator evaluates it to route a row)';
GRANT EXECUTE ON FUNCTION @extschema@.context_workspace() TO PUBLIC;
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.relname
          FROM pg_catalog.pg_attrdef d
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) d.adrelid
          JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) d.adrelid
                                        AND a.attnum OPERATOR(pg_catalog.=) d.adnum
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND a.attname OPERATOR(pg_catalog.=) 'workspace_id'
           AND pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%current_workspace()%'
         ORDER BY 1
    LOOP
        EXECUTE format('ALTER TABLE @extschema@.%I ALTER COLUMN workspace_id SET DEFAULT @extschema@.context_workspace()',
                       t.relname);
    END LOOP;
END;
$$;

-- release_conversations() tells a team from an operator on a Citus shard
-- too (its trigger fires on teams_102186 there).
CREATE OR REPLACE FUNCTION @extschema@.release_conversations() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- (on Citus the trigger fires on a shard: teams_102186)
    IF TG_TABLE_NAME OPERATOR(pg_catalog.=) 'teams' OR TG_TABLE_NAME OPERATOR(pg_catalog.~) '^teams_[0-9]+$' THEN
        UPDATE @extschema@.conversations SET team_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND team_id OPERATOR(pg_catalog.=) OLD.id;
    ELSE
        UPDATE @extschema@.conversations SET assignee_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND assignee_id OPERATOR(pg_catalog.=) OLD.id;
        UPDATE @extschema@.conversations SET controller_id = NULL
         WHERE workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id AND controller_id OPERATOR(pg_catalog.=) OLD.id;
    END IF;
    RETURN OLD;
END;
$$;

--------------------------------------------------------------------------
-- Assignment (src/sql/35_assignment.sql, src/assignment.c): the history
-- table with what 80_row_security.sql and 90_grants.sql give every table
-- and API function, assign/unassign, and the conversation trigger firing
-- on assignee_id and team_id too.
--------------------------------------------------------------------------
CREATE TABLE @extschema@.assignments (
    workspace_id     uuid NOT NULL,
    conversation_id  uuid NOT NULL,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    -- no foreign keys to operators and teams: the history outlives them
    from_assignee_id uuid,
    to_assignee_id   uuid,
    from_team_id     uuid,
    to_team_id       uuid,
    actor_kind       text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id         uuid,
    reason           text CHECK (length(reason) <= 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, id),
    -- deferred: an assignment made with the conversation is written by its
    -- BEFORE INSERT trigger, just before the conversation row
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
COMMENT ON TABLE @extschema@.assignments IS
    'Assignment history: every change of a conversation''s assignee or team (from, to, who, why, when), kept when the operator or team is removed';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.assignments
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'id', 'created_at');

CREATE POLICY assignments_read ON @extschema@.assignments FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY assignments_read ON @extschema@.assignments IS
    'Defined by woes. Agents, operators, analysts and admins read assignment history; only the assignment hook writes it';

-- a team's queue, oldest waiting first; and unassigned first, then oldest
-- waiting; an assignee's conversations, oldest waiting first
CREATE INDEX conversations_team_queue_idx ON @extschema@.conversations
    (workspace_id, team_id, status, waiting_since) WHERE team_id IS NOT NULL;
CREATE INDEX conversations_team_unassigned_idx ON @extschema@.conversations
    (workspace_id, team_id, status, (assignee_id IS NOT NULL), waiting_since) WHERE team_id IS NOT NULL;
DROP INDEX @extschema@.conversations_assignee_idx;
CREATE INDEX conversations_assignee_idx ON @extschema@.conversations
    (workspace_id, assignee_id, status, waiting_since) WHERE assignee_id IS NOT NULL;

CREATE FUNCTION @extschema@.assign(conversation uuid, operator uuid DEFAULT NULL, team uuid DEFAULT NULL,
                                   reason text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    saved   text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'assigning a conversation');
    IF assign.conversation IS NULL OR (assign.operator IS NULL AND assign.team IS NULL) THEN
        RAISE EXCEPTION 'assign needs a conversation and an operator, a team or both'
            USING ERRCODE = 'WO007', HINT = 'woes.unassign(conversation) clears both.';
    END IF;
    -- the reason the history records, as a SET LOCAL Citus forwards to the
    -- worker where the trigger runs (see wake_snoozed); set back below
    IF assign.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(assign.reason, 'reason', 1000);
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', assign.reason));
    END IF;
    -- a compare-and-set: the same values again change nothing and record nothing
    UPDATE @extschema@.conversations c
       SET assignee_id = assign.operator, team_id = assign.team
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) assign.conversation
       AND (c.assignee_id IS DISTINCT FROM assign.operator OR c.team_id IS DISTINCT FROM assign.team);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF assign.reason IS NOT NULL THEN
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved));
    END IF;
    IF n OPERATOR(pg_catalog.=) 0 AND NOT EXISTS (
            SELECT FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.id OPERATOR(pg_catalog.=) assign.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', assign.conversation USING ERRCODE = 'WO005';
    END IF;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.assign(uuid, uuid, uuid, text) IS
    'Assign a conversation to an operator (an active one of the workspace), a team (its queue), or both (the operator must be a member); sets both columns as given; true if anything changed (the same values again are a no-op); history in woes.assignments, event conversation.assigned';

CREATE FUNCTION @extschema@.unassign(conversation uuid, reason text DEFAULT NULL)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    saved   text := coalesce(pg_catalog.current_setting('woes.reason', true), '');
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'unassigning a conversation');
    IF unassign.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF unassign.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(unassign.reason, 'reason', 1000);
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', unassign.reason));
    END IF;
    UPDATE @extschema@.conversations c
       SET assignee_id = NULL, team_id = NULL
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) unassign.conversation
       AND (c.assignee_id IS NOT NULL OR c.team_id IS NOT NULL);
    GET DIAGNOSTICS n = ROW_COUNT;
    IF unassign.reason IS NOT NULL THEN
        EXECUTE pg_catalog.format('DO %L', pg_catalog.format('BEGIN SET LOCAL woes.reason = %L; END', saved));
    END IF;
    IF n OPERATOR(pg_catalog.=) 0 AND NOT EXISTS (
            SELECT FROM @extschema@.conversations c
             WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
               AND c.id OPERATOR(pg_catalog.=) unassign.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', unassign.conversation USING ERRCODE = 'WO005';
    END IF;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.unassign(uuid, text) IS
    'Clear a conversation''s assignee and team; true if anything changed (a no-op when it has neither)';

REVOKE ALL ON @extschema@.assignments FROM PUBLIC;
GRANT SELECT ON @extschema@.assignments TO woes_service, woes_admin, woes_analyst;
REVOKE EXECUTE ON FUNCTION @extschema@.assign(uuid, uuid, uuid, text), @extschema@.unassign(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.assign(uuid, uuid, uuid, text), @extschema@.unassign(uuid, text)
    TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.assign(uuid, uuid, uuid, text) SET row_security = on;
ALTER FUNCTION @extschema@.unassign(uuid, text) SET row_security = on;

DROP TRIGGER lifecycle ON @extschema@.conversations;
CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE OF status, snoozed_until, control, controller_id,
    assignee_id, team_id
    ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lifecycle();
COMMENT ON FUNCTION @extschema@.lifecycle() IS
    'Internal trigger: enforces the status and control rules on every write, and records status_events, handoff_events, assignments and outbox events';

--------------------------------------------------------------------------
-- Routing (src/sql/36_routing.sql, src/routing.c): an operator's capacity
-- and away flag, the loads (counted once from the conversations as they
-- are), woes.route.
--------------------------------------------------------------------------
ALTER TABLE @extschema@.operators
    ADD COLUMN capacity integer CHECK (capacity BETWEEN 0 AND 100000),
    ADD COLUMN away boolean NOT NULL DEFAULT false;
CREATE TABLE @extschema@.operator_loads (
    workspace_id     uuid NOT NULL,
    operator_id      uuid NOT NULL,
    -- open or pending conversations assigned to the operator
    open_count       integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
    -- the operator's latest assignment: equal loads go to who waited longest
    last_assigned_at timestamptz,
    PRIMARY KEY (workspace_id, operator_id),
    FOREIGN KEY (workspace_id, operator_id)
        REFERENCES @extschema@.operators (workspace_id, id) ON DELETE CASCADE
);
COMMENT ON TABLE @extschema@.operator_loads IS
    'Per operator, the open or pending conversations assigned to them and their latest assignment: what woes.route() weighs; kept by the conversation trigger';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.operator_loads
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'operator_id');

CREATE POLICY operator_loads_read ON @extschema@.operator_loads FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY operator_loads_read ON @extschema@.operator_loads IS
    'Defined by woes. Agents, operators, analysts and admins read the loads; only the conversation trigger writes them';

INSERT INTO @extschema@.operator_loads (workspace_id, operator_id, open_count)
SELECT c.workspace_id, c.assignee_id, count(*)
  FROM @extschema@.conversations c
 WHERE c.assignee_id IS NOT NULL AND c.status OPERATOR(@extschema@.=) ANY ('{open,pending}')
 GROUP BY 1, 2;
REVOKE ALL ON @extschema@.operator_loads FROM PUBLIC;
GRANT SELECT ON @extschema@.operator_loads TO woes_service, woes_admin, woes_analyst;

CREATE FUNCTION @extschema@.route(conversation uuid, team uuid)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws        uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    default_capacity integer;
    routed    record;
    tried     uuid[] := '{}';
    chosen    uuid;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'routing a conversation');
    IF route.conversation IS NULL OR route.team IS NULL THEN
        RAISE EXCEPTION 'conversation and team must not be null' USING ERRCODE = 'WO007';
    END IF;
    -- the loads are read after the locks below: an older snapshot would
    -- miss what the router before committed
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'routing needs READ COMMITTED' USING ERRCODE = 'WO401',
            HINT = 'Under REPEATABLE READ or SERIALIZABLE a router would weigh loads older than its locks.';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
                      AND t.id OPERATOR(pg_catalog.=) route.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', route.team USING ERRCODE = 'WO005';
    END IF;

    -- the conversation first: a second router of it waits here, then finds
    -- it routed and keeps that
    SELECT c.assignee_id, c.team_id INTO routed
      FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) route.conversation
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', route.conversation USING ERRCODE = 'WO005';
    END IF;
    IF routed.team_id OPERATOR(pg_catalog.=) route.team AND routed.assignee_id IS NOT NULL THEN
        RETURN routed.assignee_id;
    END IF;

    SELECT CASE WHEN pg_catalog.jsonb_typeof(w.settings OPERATOR(pg_catalog.->) 'routing_capacity')
                     OPERATOR(pg_catalog.=) 'number'
                THEN LEAST(GREATEST((w.settings OPERATOR(pg_catalog.->>) 'routing_capacity')::numeric, 0), 100000)::integer END
      INTO default_capacity
      FROM @extschema@.workspaces w WHERE w.id OPERATOR(pg_catalog.=) ws;

    -- Then the best candidate, locked alone: its row is the turnstile that
    -- routers picking the same operator pass one at a time.  After the lock
    -- a fresh read of its load (the router before has committed) decides;
    -- if it is full now, the next best, taken only if nobody holds it (SKIP
    -- LOCKED): a router waits for at most one operator, while holding no
    -- other, so routers never deadlock.
    LOOP
        SELECT o.id INTO chosen
          FROM @extschema@.operators o
          JOIN @extschema@.team_members m
            ON m.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
           AND m.operator_id OPERATOR(pg_catalog.=) o.id
          LEFT JOIN @extschema@.operator_loads l
            ON l.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
           AND l.operator_id OPERATOR(pg_catalog.=) o.id
         WHERE o.workspace_id OPERATOR(pg_catalog.=) ws
           AND m.team_id OPERATOR(pg_catalog.=) route.team
           AND o.active AND NOT o.away
           AND o.id OPERATOR(pg_catalog.<>) ALL (tried)
           AND (coalesce(o.capacity, default_capacity) IS NULL
                OR coalesce(l.open_count, 0) OPERATOR(pg_catalog.<) coalesce(o.capacity, default_capacity))
         ORDER BY coalesce(l.open_count, 0), l.last_assigned_at NULLS FIRST, o.id
         LIMIT 1;
        EXIT WHEN chosen IS NULL;
        tried := tried OPERATOR(pg_catalog.||) chosen;
        IF pg_catalog.cardinality(tried) OPERATOR(pg_catalog.=) 1 THEN
            PERFORM FROM @extschema@.operators o
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               FOR NO KEY UPDATE;
        ELSE
            PERFORM FROM @extschema@.operators o
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               FOR NO KEY UPDATE SKIP LOCKED;
            CONTINUE WHEN NOT FOUND;
        END IF;
        -- still available, with room, now that the router before committed?
        EXIT WHEN EXISTS (
            SELECT FROM @extschema@.operators o
              LEFT JOIN @extschema@.operator_loads l
                ON l.workspace_id OPERATOR(pg_catalog.=) o.workspace_id
               AND l.operator_id OPERATOR(pg_catalog.=) o.id
             WHERE o.workspace_id OPERATOR(pg_catalog.=) ws AND o.id OPERATOR(pg_catalog.=) chosen
               AND o.active AND NOT o.away
               AND (coalesce(o.capacity, default_capacity) IS NULL
                    OR coalesce(l.open_count, 0) OPERATOR(pg_catalog.<) coalesce(o.capacity, default_capacity)));
    END LOOP;

    -- nobody has room: the conversation waits in the team's queue
    UPDATE @extschema@.conversations c
       SET assignee_id = chosen, team_id = route.team
     WHERE c.workspace_id OPERATOR(pg_catalog.=) ws
       AND c.id OPERATOR(pg_catalog.=) route.conversation
       AND (c.assignee_id IS DISTINCT FROM chosen OR c.team_id IS DISTINCT FROM route.team);
    RETURN chosen;
END;
$$;
COMMENT ON FUNCTION @extschema@.route(uuid, uuid) IS
    'Assign a conversation to the active, not away member of a team with the fewest open or pending conversations (then the longest since an assignment) below their capacity; NULL when nobody has room (it waits in the team''s queue); an already routed conversation keeps its assignee';
REVOKE EXECUTE ON FUNCTION @extschema@.route(uuid, uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.route(uuid, uuid) TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.route(uuid, uuid) SET row_security = on;

--------------------------------------------------------------------------
-- Tags (src/sql/37_tags.sql, src/links.c): definitions, the tags of each
-- conversation with their events, define_tag/tag/untag; what
-- 80_row_security.sql and 90_grants.sql give every table and function.
--------------------------------------------------------------------------
CREATE TABLE @extschema@.tags (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace()
                 REFERENCES @extschema@.workspaces (id),
    id          uuid NOT NULL,
    name        text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100 AND name = btrim(name)),
    color       text CHECK (color ~ '^#[0-9a-fA-F]{6}$'),
    description text CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, id)
);
CREATE UNIQUE INDEX tags_name_key ON @extschema@.tags (workspace_id, lower(name));
COMMENT ON TABLE @extschema@.tags IS
    'Tag definitions of a workspace: unique by name (case-insensitive), with an optional colour (#rrggbb) and description';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'created_at');

CREATE POLICY tags_read ON @extschema@.tags FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY tags_read ON @extschema@.tags IS
    'Defined by woes. Agents, operators, analysts and admins read the tag definitions; customers never';
-- agents define a tag by using it (woes.tag); renaming and removing is
-- for operators and admins
CREATE POLICY tags_add ON @extschema@.tags FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY tags_add ON @extschema@.tags IS
    'Defined by woes. Agents, operators and admins define tags (agents by tagging with a new name)';
CREATE POLICY tags_change ON @extschema@.tags FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY tags_change ON @extschema@.tags IS
    'Defined by woes. Operators and admins rename tags and set their colour and description';
CREATE POLICY tags_remove ON @extschema@.tags FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));
COMMENT ON POLICY tags_remove ON @extschema@.tags IS
    'Defined by woes. Operators and admins remove tags (from every conversation with them)';

CREATE TABLE @extschema@.conversation_tags (
    workspace_id    uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    conversation_id uuid NOT NULL,
    tag_id          uuid NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, conversation_id, tag_id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, tag_id)
        REFERENCES @extschema@.tags (workspace_id, id) ON DELETE CASCADE
);
-- the conversations with a tag
CREATE INDEX conversation_tags_tag_idx ON @extschema@.conversation_tags (workspace_id, tag_id);
COMMENT ON TABLE @extschema@.conversation_tags IS
    'The tags of each conversation (by tag id); an added or removed tag writes conversation.tagged or conversation.untagged';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.conversation_tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'conversation_id', 'tag_id', 'created_at');

CREATE POLICY conversation_tags_read ON @extschema@.conversation_tags FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY conversation_tags_read ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators, analysts and admins read the conversations'' tags; customers never';
CREATE POLICY conversation_tags_add ON @extschema@.conversation_tags FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversation_tags_add ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators and admins tag conversations';
CREATE POLICY conversation_tags_remove ON @extschema@.conversation_tags FOR DELETE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
COMMENT ON POLICY conversation_tags_remove ON @extschema@.conversation_tags IS
    'Defined by woes. Agents, operators and admins untag conversations';

CREATE FUNCTION @extschema@.link_event() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_link_event'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.link_event() IS
    'Internal trigger (AFTER INSERT OR DELETE on a link table, arguments: the insert and delete event kinds and the linked id column): an outbox event for every link made or removed';
-- conversation.tagged or conversation.untagged for every tag added to or
-- removed from a conversation (src/links.c)
CREATE TRIGGER tag_event AFTER INSERT OR DELETE ON @extschema@.conversation_tags
    FOR EACH ROW EXECUTE FUNCTION @extschema@.link_event('conversation.tagged', 'conversation.untagged', 'tag_id');

CREATE FUNCTION @extschema@.define_tag(name text, color text DEFAULT NULL, description text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    tag_id  uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'defining a tag');
    PERFORM @extschema@.require_text(btrim(define_tag.name), 'tag name', 100);
    IF define_tag.color !~ '^#[0-9a-fA-F]{6}$' THEN
        RAISE EXCEPTION 'invalid colour %', define_tag.color USING ERRCODE = 'WO007', HINT = 'A colour is #rrggbb, e.g. #ff8800.';
    END IF;
    IF length(define_tag.description) > 1000 THEN
        RAISE EXCEPTION 'invalid description' USING ERRCODE = 'WO007', HINT = 'A description is at most 1000 characters.';
    END IF;
    SELECT t.id INTO tag_id FROM @extschema@.tags t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
       AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(define_tag.name))
       FOR NO KEY UPDATE;
    IF tag_id IS NULL THEN
        INSERT INTO @extschema@.tags (workspace_id, name, color, description)
        VALUES (ws, btrim(define_tag.name), define_tag.color, define_tag.description)
        ON CONFLICT DO NOTHING
        RETURNING id INTO tag_id;
        IF tag_id IS NULL THEN      -- defined at the same moment by another session
            SELECT t.id INTO tag_id FROM @extschema@.tags t
             WHERE t.workspace_id OPERATOR(pg_catalog.=) ws
               AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(define_tag.name));
        END IF;
    ELSIF define_tag.color IS NOT NULL OR define_tag.description IS NOT NULL THEN
        UPDATE @extschema@.tags t
           SET color = coalesce(define_tag.color, t.color),
               description = coalesce(define_tag.description, t.description)
         WHERE t.workspace_id OPERATOR(pg_catalog.=) ws AND t.id OPERATOR(pg_catalog.=) tag_id;
    END IF;
    RETURN tag_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.define_tag(text, text, text) IS
    'Define a tag of the workspace (or, for an existing name, case-insensitive, set the colour and description given); returns its id';

-- the tag of this name, defined on first use unless the workspace requires
-- predefined tags (settings: require_predefined_tags)
CREATE FUNCTION @extschema@.tag_for(ws uuid, name text, create_missing boolean)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    tag_id uuid;
BEGIN
    PERFORM @extschema@.require_text(btrim(tag_for.name), 'tag name', 100);
    SELECT t.id INTO tag_id FROM @extschema@.tags t
     WHERE t.workspace_id OPERATOR(pg_catalog.=) tag_for.ws
       AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(tag_for.name));
    IF tag_id IS NOT NULL OR NOT create_missing THEN
        RETURN tag_id;
    END IF;
    IF coalesce((SELECT (w.settings OPERATOR(pg_catalog.->>) 'require_predefined_tags')::boolean
                   FROM @extschema@.workspaces w WHERE w.id OPERATOR(pg_catalog.=) tag_for.ws), false) THEN
        RAISE EXCEPTION 'tag "%" is not defined in this workspace', btrim(tag_for.name) USING ERRCODE = 'WO005',
            HINT = 'The workspace requires predefined tags: an operator or admin defines it with woes.define_tag().';
    END IF;
    INSERT INTO @extschema@.tags (workspace_id, name) VALUES (tag_for.ws, btrim(tag_for.name))
    ON CONFLICT DO NOTHING
    RETURNING id INTO tag_id;
    IF tag_id IS NULL THEN          -- defined at the same moment by another session
        SELECT t.id INTO tag_id FROM @extschema@.tags t
         WHERE t.workspace_id OPERATOR(pg_catalog.=) tag_for.ws
           AND pg_catalog.lower(t.name) OPERATOR(pg_catalog.=) pg_catalog.lower(btrim(tag_for.name));
    END IF;
    RETURN tag_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.tag_for(uuid, text, boolean) IS
    'Internal: the id of a tag by name (case-insensitive), defined on first use unless the workspace requires predefined tags';

CREATE FUNCTION @extschema@.tag(conversation uuid, tag text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    tag_id  uuid;
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'tagging a conversation');
    IF tag.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) ws AND c.id OPERATOR(pg_catalog.=) tag.conversation) THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', tag.conversation USING ERRCODE = 'WO005';
    END IF;
    tag_id := @extschema@.tag_for(ws, tag.tag, true);
    INSERT INTO @extschema@.conversation_tags (workspace_id, conversation_id, tag_id)
    VALUES (ws, tag.conversation, tag_id)
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.tag(uuid, text) IS
    'Tag a conversation by tag name (case-insensitive; the tag is defined on first use unless the workspace requires predefined tags); true if added, false if it already had it';

CREATE FUNCTION @extschema@.untag(conversation uuid, tag text)
    RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws      uuid := @extschema@.current_workspace();
    the_tag uuid;
    n       integer;
BEGIN
    PERFORM @extschema@.require_audience('{agent,operator,admin}', 'untagging a conversation');
    IF untag.conversation IS NULL THEN
        RAISE EXCEPTION 'conversation must not be null' USING ERRCODE = 'WO007';
    END IF;
    the_tag := @extschema@.tag_for(ws, untag.tag, false);
    DELETE FROM @extschema@.conversation_tags ct
     WHERE ct.workspace_id OPERATOR(pg_catalog.=) ws
       AND ct.conversation_id OPERATOR(pg_catalog.=) untag.conversation
       AND ct.tag_id OPERATOR(pg_catalog.=) the_tag;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n OPERATOR(pg_catalog.>) 0;
END;
$$;
COMMENT ON FUNCTION @extschema@.untag(uuid, text) IS
    'Remove a tag (by name, case-insensitive) from a conversation; true if removed, false if it did not have it';



REVOKE ALL ON @extschema@.tags, @extschema@.conversation_tags FROM PUBLIC;
GRANT SELECT ON @extschema@.tags, @extschema@.conversation_tags TO woes_service, woes_admin, woes_analyst;
GRANT INSERT, UPDATE, DELETE ON @extschema@.tags TO woes_service, woes_admin;
GRANT INSERT, DELETE ON @extschema@.conversation_tags TO woes_service, woes_admin;
REVOKE EXECUTE ON FUNCTION @extschema@.link_event(), @extschema@.define_tag(text, text, text),
    @extschema@.tag_for(uuid, text, boolean), @extschema@.tag(uuid, text), @extschema@.untag(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.define_tag(text, text, text), @extschema@.tag_for(uuid, text, boolean),
    @extschema@.tag(uuid, text), @extschema@.untag(uuid, text) TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.define_tag(text, text, text) SET row_security = on;
ALTER FUNCTION @extschema@.tag_for(uuid, text, boolean) SET row_security = on;
ALTER FUNCTION @extschema@.tag(uuid, text) SET row_security = on;
ALTER FUNCTION @extschema@.untag(uuid, text) SET row_security = on;

-- Typed custom fields (src/sql/38_fields.sql, src/fields.c): definitions
-- and values in tables of their own (a customer who may read a
-- conversation could read its custom_fields column), the value rule, the
-- triggers, define_field/drop_field/set_field/fields; the conversation
-- trigger checks required fields on resolve.  0.1.0's column
-- conversations.custom_fields moves into them and is dropped.
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

-- 0.1.0's custom_fields: a definition per workspace and key, its type read
-- from the values (all strings: text; numbers: number; booleans: boolean;
-- arrays of strings: multi_select with the strings as options), then the
-- values (JSON nulls and empty arrays are no values).  Anything else stops
-- the upgrade, naming the workspace and key.  Written as a restore writes
-- (row_security off, as the superuser the upgrade runs as): the triggers
-- keep the rows as they are and write no events.
DO $$
DECLARE
    r       record;
    ftype   text;
    opts    text[];
    prev    text := pg_catalog.current_setting('row_security');
BEGIN
    PERFORM pg_catalog.set_config('row_security', 'off', true);
    FOR r IN
        SELECT c.workspace_id, f.key,
               pg_catalog.array_agg(DISTINCT pg_catalog.jsonb_typeof(f.value)) AS kinds,
               pg_catalog.bool_and(pg_catalog.jsonb_typeof(f.value) OPERATOR(pg_catalog.<>) 'array'
                                   OR NOT EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(f.value) e
                                                   WHERE pg_catalog.jsonb_typeof(e) OPERATOR(pg_catalog.<>) 'string')) AS strings
          FROM @extschema@.conversations c, pg_catalog.jsonb_each(c.custom_fields) f
         WHERE pg_catalog.jsonb_typeof(f.value) OPERATOR(pg_catalog.<>) 'null'
           AND f.value OPERATOR(pg_catalog.<>) '[]'::jsonb
         GROUP BY c.workspace_id, f.key
         ORDER BY c.workspace_id, f.key
    LOOP
        IF r.key !~ '^[a-z][a-z0-9_]{0,62}$' THEN
            RAISE EXCEPTION 'workspace %: custom field key "%" is not a valid key', r.workspace_id, r.key
                USING HINT = 'Keys are 1 to 63 lower-case letters, digits and underscores, starting with a letter: '
                             'rename the key in conversations.custom_fields with 0.1.0, then upgrade.';
        END IF;
        ftype := CASE WHEN r.kinds = '{string}' THEN 'text' WHEN r.kinds = '{number}' THEN 'number'
                      WHEN r.kinds = '{boolean}' THEN 'boolean' WHEN r.kinds = '{array}' AND r.strings THEN 'multi_select' END;
        IF ftype IS NULL THEN
            RAISE EXCEPTION 'workspace %: custom field "%" holds values of different kinds (%)', r.workspace_id, r.key,
                            pg_catalog.array_to_string(r.kinds, ', ')
                USING HINT = 'Make its values one kind (strings, numbers, booleans or arrays of strings) with 0.1.0, then upgrade.';
        END IF;
        opts := NULL;
        IF ftype = 'multi_select' THEN
            SELECT pg_catalog.array_agg(DISTINCT e ORDER BY e) INTO opts
              FROM @extschema@.conversations c, pg_catalog.jsonb_array_elements_text(c.custom_fields OPERATOR(pg_catalog.->) r.key) e
             WHERE c.workspace_id OPERATOR(pg_catalog.=) r.workspace_id
               AND pg_catalog.jsonb_typeof(c.custom_fields OPERATOR(pg_catalog.->) r.key) OPERATOR(pg_catalog.=) 'array';
        END IF;
        INSERT INTO @extschema@.field_definitions (workspace_id, id, key, type, options)
        VALUES (r.workspace_id, @extschema@.uuid_generate_v7(), r.key, ftype, opts);
    END LOOP;
    INSERT INTO @extschema@.conversation_fields (workspace_id, conversation_id, key, value, updated_at)
    SELECT c.workspace_id, c.id, f.key, f.value, c.updated_at
      FROM @extschema@.conversations c, pg_catalog.jsonb_each(c.custom_fields) f
     WHERE pg_catalog.jsonb_typeof(f.value) OPERATOR(pg_catalog.<>) 'null'
       AND f.value OPERATOR(pg_catalog.<>) '[]'::jsonb;
    -- every value valid for its definition, as the trigger would say
    SELECT v.workspace_id, v.key, @extschema@.field_problem(d.type, d.options, v.value) AS problem INTO r
      FROM @extschema@.conversation_fields v
      JOIN @extschema@.field_definitions d
        ON d.workspace_id OPERATOR(pg_catalog.=) v.workspace_id AND d.key OPERATOR(pg_catalog.=) v.key
     WHERE @extschema@.field_problem(d.type, d.options, v.value) IS NOT NULL
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'workspace %: a value of custom field "%" is not valid: %', r.workspace_id, r.key, r.problem
            USING HINT = 'Correct it in conversations.custom_fields with 0.1.0, then upgrade.';
    END IF;
    PERFORM pg_catalog.set_config('row_security', prev, true);
END;
$$;
ALTER TABLE @extschema@.conversations DROP COLUMN custom_fields;

REVOKE ALL ON @extschema@.field_definitions, @extschema@.conversation_fields FROM PUBLIC;
GRANT SELECT ON @extschema@.field_definitions, @extschema@.conversation_fields TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.field_definitions TO woes_analyst;
GRANT INSERT, UPDATE, DELETE ON @extschema@.field_definitions, @extschema@.conversation_fields TO woes_service, woes_admin;
REVOKE EXECUTE ON FUNCTION @extschema@.field_problem(text, text[], jsonb), @extschema@.field_definition_check(),
    @extschema@.field_value(), @extschema@.field_event(), @extschema@.define_field(text, text, jsonb, boolean),
    @extschema@.drop_field(text, boolean), @extschema@.set_field(uuid, text, jsonb), @extschema@.fields(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.field_problem(text, text[], jsonb), @extschema@.define_field(text, text, jsonb, boolean),
    @extschema@.drop_field(text, boolean), @extschema@.set_field(uuid, text, jsonb), @extschema@.fields(uuid)
    TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.define_field(text, text, jsonb, boolean) SET row_security = on;
ALTER FUNCTION @extschema@.drop_field(text, boolean) SET row_security = on;
ALTER FUNCTION @extschema@.set_field(uuid, text, jsonb) SET row_security = on;

-- Macros (src/sql/39_macros.sql): the table with its shape check,
-- define_macro and apply_macro (see that file for the actions' JSON).
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

REVOKE ALL ON @extschema@.macros FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON @extschema@.macros TO woes_service, woes_admin;
REVOKE EXECUTE ON FUNCTION @extschema@.macro_problem(jsonb), @extschema@.macro_check(),
    @extschema@.define_macro(text, jsonb, text), @extschema@.apply_macro(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.macro_problem(jsonb), @extschema@.define_macro(text, jsonb, text),
    @extschema@.apply_macro(uuid, text) TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.define_macro(text, jsonb, text) SET row_security = on;
ALTER FUNCTION @extschema@.apply_macro(uuid, text) SET row_security = on;

-- Linked issues (src/sql/45_issues.sql, src/links.c): issues, their links
-- to conversations, the state history, issue_impact, link_issue,
-- unlink_issue, set_issue_state.
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

REVOKE ALL ON @extschema@.issues, @extschema@.conversation_issues, @extschema@.issue_state_events,
    @extschema@.issue_impact FROM PUBLIC;
GRANT SELECT ON @extschema@.issues, @extschema@.conversation_issues, @extschema@.issue_state_events,
    @extschema@.issue_impact TO woes_service, woes_admin, woes_analyst;
GRANT INSERT, UPDATE, DELETE ON @extschema@.issues, @extschema@.conversation_issues TO woes_service, woes_admin;
REVOKE EXECUTE ON FUNCTION @extschema@.issue_state(), @extschema@.link_issue(uuid, text, text, text, text),
    @extschema@.unlink_issue(uuid, uuid), @extschema@.set_issue_state(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.link_issue(uuid, text, text, text, text), @extschema@.unlink_issue(uuid, uuid),
    @extschema@.set_issue_state(uuid, text, text) TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.link_issue(uuid, text, text, text, text) SET row_security = on;
ALTER FUNCTION @extschema@.unlink_issue(uuid, uuid) SET row_security = on;
ALTER FUNCTION @extschema@.set_issue_state(uuid, text, text) SET row_security = on;

-- The inbox shows the tags (a column before workspace_id: made again)
DROP VIEW @extschema@.inbox;
CREATE VIEW @extschema@.inbox WITH (security_invoker = true) AS
SELECT c.id, c.number, c.status, c.control, c.channel, c.subject,
       c.contact_id,
       (SELECT ct.name FROM @extschema@.contacts ct
         WHERE ct.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND ct.id OPERATOR(pg_catalog.=) c.contact_id) AS contact_name,
       c.assignee_id,
       (SELECT o.name FROM @extschema@.operators o
         WHERE o.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND o.id OPERATOR(pg_catalog.=) c.assignee_id) AS assignee_name,
       c.team_id,
       (SELECT tm.name FROM @extschema@.teams tm
         WHERE tm.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
           AND tm.id OPERATOR(pg_catalog.=) c.team_id) AS team_name,
       -- the tags' names, alphabetical (37_tags.sql)
       ARRAY(SELECT tg.name FROM @extschema@.conversation_tags ctg
               JOIN @extschema@.tags tg
                 ON tg.workspace_id OPERATOR(pg_catalog.=) ctg.workspace_id
                AND tg.id OPERATOR(pg_catalog.=) ctg.tag_id
              WHERE ctg.workspace_id OPERATOR(pg_catalog.=) c.workspace_id
                AND ctg.conversation_id OPERATOR(pg_catalog.=) c.id
              ORDER BY pg_catalog.lower(tg.name)) AS tags,
       c.last_message_at, c.waiting_since, c.unanswered_count AS unread_count,
       c.snoozed_until, c.created_at, c.updated_at, c.workspace_id
  FROM @extschema@.conversations c;
COMMENT ON VIEW @extschema@.inbox IS
    'An operator''s list: status, control, assignee and team, tags, last message time, waiting since, and unread (unanswered customer messages); page it by status ordered by last_message_at DESC NULLS LAST, id DESC';
REVOKE ALL ON @extschema@.inbox FROM PUBLIC;
GRANT SELECT ON @extschema@.inbox TO woes_service, woes_admin;

-- Merging conversations (src/sql/47_merge.sql, src/merge.c): a
-- conversation's merged_into_id, the merges history, woes.merge().  A
-- message keeps its contact (the customer who reads it) when a merge moves
-- it to another customer's conversation: its key is now on the
-- conversation alone, its contact is frozen, and it moves only to its
-- conversation's merge target (the message_moved trigger).
ALTER TABLE @extschema@.conversations
    ADD COLUMN merged_into_id uuid,
    ADD FOREIGN KEY (workspace_id, merged_into_id) REFERENCES @extschema@.conversations (workspace_id, id);
ALTER TABLE @extschema@.messages
    DROP CONSTRAINT messages_workspace_id_conversation_id_contact_id_fkey,
    ADD FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE;
DROP TRIGGER guard_update ON @extschema@.messages;
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.messages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'id', 'author_kind', 'author_id', 'contact_id', 'created_at');

CREATE OR REPLACE VIEW @extschema@.customer_conversations WITH (security_invoker = true) AS
SELECT c.id, c.number, c.channel, c.subject,
       CASE WHEN c.status OPERATOR(@extschema@.=) ANY ('{open,snoozed}') THEN 'open'
            WHEN c.status OPERATOR(@extschema@.=) 'pending' THEN 'awaiting_customer'
            ELSE c.status::text END AS status,
       c.previous_conversation_id, c.created_at, c.last_message_at, c.workspace_id,
       c.merged_into_id
  FROM @extschema@.conversations c
 WHERE c.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
COMMENT ON VIEW @extschema@.customer_conversations IS
    'A customer''s own conversations, with the status in the customer''s words (open, awaiting_customer, resolved, closed; a snooze shows as open); a merged one is closed and names where its messages went (merged_into_id)';
GRANT SELECT (merged_into_id) ON @extschema@.conversations TO woes_analyst;

CREATE TABLE @extschema@.merges (
    workspace_id uuid NOT NULL DEFAULT @extschema@.context_workspace(),
    -- a conversation is merged once: the source is closed
    source_id   uuid NOT NULL,
    target_id   uuid NOT NULL,
    -- how many messages moved
    messages    integer NOT NULL CHECK (messages >= 0),
    -- filled from the context by the merge_recorded trigger
    actor_kind  text NOT NULL CHECK (actor_kind IN ('customer', 'agent', 'operator', 'system')),
    actor_id    uuid,
    reason      text CHECK (length(reason) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, source_id),
    CHECK (source_id <> target_id),
    FOREIGN KEY (workspace_id, source_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, target_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
-- what was merged into a conversation
CREATE INDEX merges_target_idx ON @extschema@.merges (workspace_id, target_id);
COMMENT ON TABLE @extschema@.merges IS
    'Merges of conversations (source into target): the history of both, written by the merged trigger when a conversation''s merged_into_id is set';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.merges
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'source_id', 'target_id', 'messages',
                                                          'actor_kind', 'actor_id', 'reason', 'created_at');

CREATE FUNCTION @extschema@.merge_recorded() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_merge_recorded'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.merge_recorded() IS
    'Internal trigger: a merge is recorded by the merged trigger only (as the owner), with the context''s actor, and writes conversation.merged to the source''s and the target''s streams';
CREATE TRIGGER merge_recorded BEFORE INSERT ON @extschema@.merges
    FOR EACH ROW EXECUTE FUNCTION @extschema@.merge_recorded();

CREATE POLICY merges_read ON @extschema@.merges FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY merges_read ON @extschema@.merges IS
    'Defined by woes. Agents, operators, analysts and admins read the merges; only the merged trigger writes them';

-- The rules of a merge, on every path (woes.merge(), a raw UPDATE): a
-- conversation's merged_into_id is set once, on a closed conversation, to
-- another conversation of the workspace that is neither closed nor merged,
-- in the operator or admin audience; never changed or cleared; a new
-- conversation starts unmerged.  Setting it records the merge (woes.merges,
-- whose trigger writes the events), with the reason in woes.reason.
CREATE FUNCTION @extschema@.merged() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    t       record;
    moving  integer;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF NEW.merged_into_id IS NOT NULL THEN
            RAISE EXCEPTION 'a new conversation cannot start merged' USING ERRCODE = 'WO103',
                HINT = 'Use woes.merge(source, target).';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.merged_into_id IS NOT DISTINCT FROM OLD.merged_into_id THEN
        RETURN NEW;
    END IF;
    IF OLD.merged_into_id IS NOT NULL THEN
        RAISE EXCEPTION 'conversation % was merged: a merge is final', OLD.number USING ERRCODE = 'WO103';
    END IF;
    PERFORM @extschema@.require_audience('{operator,admin}', 'merging conversations');
    IF NEW.status::text OPERATOR(pg_catalog.<>) 'closed' THEN
        RAISE EXCEPTION 'conversation % is merged only when it is closed', NEW.number USING ERRCODE = 'WO103',
            HINT = 'Use woes.merge(source, target), which closes it.';
    END IF;
    IF NEW.merged_into_id OPERATOR(pg_catalog.=) NEW.id THEN
        RAISE EXCEPTION 'a conversation cannot be merged into itself' USING ERRCODE = 'WO103';
    END IF;
    SELECT c.number, c.status::text AS status, c.merged_into_id INTO t FROM @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id AND c.id OPERATOR(pg_catalog.=) NEW.merged_into_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', NEW.merged_into_id USING ERRCODE = 'WO005';
    END IF;
    IF t.merged_into_id IS NOT NULL OR t.status OPERATOR(pg_catalog.=) 'closed' THEN
        RAISE EXCEPTION 'cannot merge into conversation %: it is closed', t.number USING ERRCODE = 'WO103';
    END IF;
    SELECT count(*) INTO moving FROM @extschema@.messages m
     WHERE m.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id AND m.conversation_id OPERATOR(pg_catalog.=) NEW.id;
    INSERT INTO @extschema@.merges (workspace_id, source_id, target_id, messages, actor_kind, reason)
    VALUES (NEW.workspace_id, NEW.id, NEW.merged_into_id, moving, 'system',
            nullif(pg_catalog.current_setting('woes.reason', true), ''));
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.merged() IS
    'Internal trigger: a conversation''s merged_into_id is set once, on a closed conversation, to an open one of the workspace (operator, admin); setting it records the merge';
CREATE TRIGGER merged BEFORE INSERT OR UPDATE OF merged_into_id ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.merged();
COMMENT ON COLUMN @extschema@.conversations.merged_into_id IS
    'The conversation this one was merged into (this one is closed); set once, by woes.merge() (the merged trigger holds every write to the merge''s rules)';

-- A message moves only to where its conversation was merged: who reads it
-- (contact_id) never changes (guard_update), and where it shows changes
-- only with a merge, so no raw UPDATE puts a message in another customer's
-- thread.
CREATE FUNCTION @extschema@.message_moved() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.conversations c
                    WHERE c.workspace_id OPERATOR(pg_catalog.=) OLD.workspace_id
                      AND c.id OPERATOR(pg_catalog.=) OLD.conversation_id
                      AND c.merged_into_id OPERATOR(pg_catalog.=) NEW.conversation_id) THEN
        RAISE EXCEPTION 'a message moves only to the conversation its conversation was merged into'
            USING ERRCODE = 'WO103', HINT = 'Use woes.merge(source, target).';
    END IF;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.message_moved() IS
    'Internal trigger: a message''s conversation changes only to the conversation its conversation was merged into';
CREATE TRIGGER message_moved BEFORE UPDATE OF conversation_id ON @extschema@.messages
    FOR EACH ROW WHEN (OLD.conversation_id IS DISTINCT FROM NEW.conversation_id)
    EXECUTE FUNCTION @extschema@.message_moved();

CREATE FUNCTION @extschema@.merge(source uuid, target uuid, reason text DEFAULT NULL)
    RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws     uuid := @extschema@.current_workspace();    -- a value: see upsert_contact
    s      record;
    t      record;
    other  bigint;
    why    text;
BEGIN
    -- as the caller: every statement is held to the policies and to the
    -- merge's rules (the merged and message_moved triggers)
    PERFORM @extschema@.require_audience('{operator,admin}', 'merging conversations');
    IF merge.source IS NULL OR merge.target IS NULL THEN
        RAISE EXCEPTION 'source and target must not be null' USING ERRCODE = 'WO007';
    END IF;
    IF merge.source = merge.target THEN
        RAISE EXCEPTION 'a conversation cannot be merged into itself' USING ERRCODE = 'WO103';
    END IF;
    IF merge.reason IS NOT NULL THEN
        PERFORM @extschema@.require_text(merge.reason, 'reason', 1000);
    END IF;

    -- both rows, locked in one order: two merges of one pair (either way
    -- round) wait for each other, and the second sees the first's result;
    -- a message to either waits for the merge (the message trigger then
    -- follows merged_into_id)
    PERFORM FROM @extschema@.conversations c
      WHERE c.workspace_id = ws AND c.id IN (merge.source, merge.target)
      ORDER BY c.id FOR UPDATE;
    SELECT c.number, c.status::text AS status, c.contact_id, c.merged_into_id, c.last_message_at, c.waiting_since,
           c.unanswered_count
      INTO s FROM @extschema@.conversations c WHERE c.workspace_id = ws AND c.id = merge.source;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', merge.source USING ERRCODE = 'WO005';
    END IF;
    SELECT c.number, c.status::text AS status, c.contact_id, c.merged_into_id
      INTO t FROM @extschema@.conversations c WHERE c.workspace_id = ws AND c.id = merge.target;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'conversation % not found in this workspace', merge.target USING ERRCODE = 'WO005';
    END IF;

    IF s.merged_into_id = merge.target THEN
        RETURN;                                 -- done before: a retry is a no-op
    END IF;
    IF s.merged_into_id IS NOT NULL THEN
        SELECT c.number INTO other FROM @extschema@.conversations c
         WHERE c.workspace_id = ws AND c.id = s.merged_into_id;
        RAISE EXCEPTION 'conversation % was already merged into conversation %', s.number, other
            USING ERRCODE = 'WO103';
    END IF;
    IF s.status = 'closed' THEN
        RAISE EXCEPTION 'conversation % is closed: a closed conversation is final and is not merged', s.number
            USING ERRCODE = 'WO103';
    END IF;
    IF t.merged_into_id = merge.source THEN
        RAISE EXCEPTION 'conversation % was merged into conversation %: merging it back would make a cycle',
            t.number, s.number USING ERRCODE = 'WO103';
    END IF;
    IF t.merged_into_id IS NOT NULL THEN
        SELECT c.number INTO other FROM @extschema@.conversations c
         WHERE c.workspace_id = ws AND c.id = t.merged_into_id;
        RAISE EXCEPTION 'cannot merge into conversation %: it was merged into conversation %', t.number, other
            USING ERRCODE = 'WO103', HINT = format('Merge into conversation %s.', other);
    END IF;
    IF t.status = 'closed' THEN
        RAISE EXCEPTION 'cannot merge into conversation %: it is closed', t.number USING ERRCODE = 'WO103';
    END IF;

    -- the source closes first (its status history says why), so that
    -- nothing below is held to the rules of an open or resolved one
    PERFORM @extschema@.transition(merge.source, 'closed', 'merged');
    -- the pointer; its trigger records the merge, with the reason given
    -- (SET LOCAL, a statement: on Citus it reaches the worker where the
    -- trigger runs, which set_config() would not)
    why := pg_catalog.current_setting('woes.reason', true);
    EXECUTE pg_catalog.format('SET LOCAL woes.reason = %L', coalesce(merge.reason, ''));
    UPDATE @extschema@.conversations c SET merged_into_id = merge.target
     WHERE c.workspace_id = ws AND c.id = merge.source;
    EXECUTE pg_catalog.format('SET LOCAL woes.reason = %L', coalesce(why, ''));

    -- every message, with its id and its customer (contact_id)
    UPDATE @extschema@.messages m SET conversation_id = merge.target
     WHERE m.workspace_id = ws AND m.conversation_id = merge.source;

    -- participants not yet in the target (the source keeps its row of
    -- someone already there)
    UPDATE @extschema@.participants p SET conversation_id = merge.target
     WHERE p.workspace_id = ws AND p.conversation_id = merge.source
       AND NOT EXISTS (SELECT FROM @extschema@.participants q
                        WHERE q.workspace_id = ws AND q.conversation_id = merge.target
                          AND q.kind = p.kind
                          AND q.contact_id IS NOT DISTINCT FROM p.contact_id
                          AND q.operator_id IS NOT DISTINCT FROM p.operator_id
                          AND q.agent_id IS NOT DISTINCT FROM p.agent_id
                          AND q.external_ref IS NOT DISTINCT FROM p.external_ref);

    -- tags and linked issues: the union, each link with its first time
    -- (the link triggers tell the outbox what the target gained and the
    -- source lost)
    INSERT INTO @extschema@.conversation_tags (workspace_id, conversation_id, tag_id, created_at)
    SELECT l.workspace_id, merge.target, l.tag_id, l.created_at FROM @extschema@.conversation_tags l
     WHERE l.workspace_id = ws AND l.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_tags l WHERE l.workspace_id = ws AND l.conversation_id = merge.source;
    INSERT INTO @extschema@.conversation_issues (workspace_id, conversation_id, issue_id, created_at)
    SELECT l.workspace_id, merge.target, l.issue_id, l.created_at FROM @extschema@.conversation_issues l
     WHERE l.workspace_id = ws AND l.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_issues l WHERE l.workspace_id = ws AND l.conversation_id = merge.source;

    -- custom field values: the target's win, the source fills the gaps
    INSERT INTO @extschema@.conversation_fields (workspace_id, conversation_id, key, value)
    SELECT f.workspace_id, merge.target, f.key, f.value FROM @extschema@.conversation_fields f
     WHERE f.workspace_id = ws AND f.conversation_id = merge.source
    ON CONFLICT DO NOTHING;
    DELETE FROM @extschema@.conversation_fields f WHERE f.workspace_id = ws AND f.conversation_id = merge.source;

    IF s.contact_id = t.contact_id THEN
        -- one customer: her threads lead to the target from now on
        UPDATE @extschema@.thread_refs r SET conversation_id = merge.target
         WHERE r.workspace_id = ws AND r.conversation_id = merge.source;
        -- and a question of hers still unanswered in the source waits in
        -- the target: it reopens a pending, snoozed or resolved target, as
        -- her message would have
        IF s.waiting_since IS NOT NULL THEN
            IF t.status IN ('pending', 'snoozed', 'resolved') THEN
                PERFORM @extschema@.transition(merge.target, 'open', 'merged');
            END IF;
            UPDATE @extschema@.conversations c
               SET waiting_since = least(c.waiting_since, s.waiting_since),
                   unanswered_count = c.unanswered_count + s.unanswered_count
             WHERE c.workspace_id = ws AND c.id = merge.target;
        END IF;
    END IF;
    UPDATE @extschema@.conversations c SET last_message_at = s.last_message_at
     WHERE c.workspace_id = ws AND c.id = merge.target
       AND s.last_message_at > coalesce(c.last_message_at, '-infinity');

END;
$$;
COMMENT ON FUNCTION @extschema@.merge(uuid, uuid, text) IS
    'Merge a conversation into another of the workspace (operators, admins; as the caller): messages (ids kept), participants, tags, linked issues and field values (the target''s win) move to the target; the source is closed and points to it; both get conversation.merged. A retry is a no-op';
REVOKE EXECUTE ON FUNCTION @extschema@.merge_recorded() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.merged() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.message_moved() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.merge(uuid, uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.merge(uuid, uuid, text) TO woes_service, woes_admin;
ALTER FUNCTION @extschema@.merge(uuid, uuid, text) SET row_security = on;
GRANT SELECT ON @extschema@.merges TO woes_service, woes_admin, woes_analyst;

-- Metrics (src/sql/56_metrics.sql, src/metrics.c): the metric columns of
-- conversations, kept by the triggers from now on and filled from the
-- histories for the conversations already there (the reply times of
-- 0.1.0's replies are not known: woes.reply_times starts with the
-- upgrade); verify_metrics(); the BI schema woes_bi (57_bi.sql).
ALTER TABLE @extschema@.conversations
    ADD COLUMN first_customer_message_at timestamptz,
    ADD COLUMN first_response_at timestamptz,
    ADD COLUMN human_clock_from timestamptz,
    ADD COLUMN first_human_response_at timestamptz,
    ADD COLUMN first_operator_message_at timestamptz,
    ADD COLUMN first_resolved_at timestamptz,
    ADD COLUMN last_resolved_at timestamptz,
    ADD COLUMN reopen_count integer NOT NULL DEFAULT 0 CHECK (reopen_count >= 0),
    ADD COLUMN assignment_count integer NOT NULL DEFAULT 0 CHECK (assignment_count >= 0),
    ADD COLUMN first_assigned_at timestamptz,
    ADD COLUMN handoff_requested_at timestamptz,
    ADD COLUMN handoff_taken_at timestamptz;

COMMENT ON COLUMN @extschema@.conversations.first_customer_message_at IS
    'Metric: the first public customer message';
COMMENT ON COLUMN @extschema@.conversations.first_response_at IS
    'Metric: the first public agent or operator reply after the first customer message';
COMMENT ON COLUMN @extschema@.conversations.human_clock_from IS
    'Metric: when a person''s clock starts: the first customer message, or for a conversation automation handled first the first handoff out of automation';
COMMENT ON COLUMN @extschema@.conversations.first_human_response_at IS
    'Metric: the first public operator reply after the first customer message';
COMMENT ON COLUMN @extschema@.conversations.first_operator_message_at IS
    'Metric: the first public operator message at all';
COMMENT ON COLUMN @extschema@.conversations.first_resolved_at IS
    'Metric: the first change to resolved';
COMMENT ON COLUMN @extschema@.conversations.last_resolved_at IS
    'Metric: the latest change to resolved';
COMMENT ON COLUMN @extschema@.conversations.reopen_count IS
    'Metric: changes from resolved back to open';
COMMENT ON COLUMN @extschema@.conversations.assignment_count IS
    'Metric: changes to a new (non-NULL) assignee';
COMMENT ON COLUMN @extschema@.conversations.first_assigned_at IS
    'Metric: the first assignment';
COMMENT ON COLUMN @extschema@.conversations.handoff_requested_at IS
    'Metric: the first handoff out of automation (a request, or a takeover without one)';
COMMENT ON COLUMN @extschema@.conversations.handoff_taken_at IS
    'Metric: the first takeover by an operator after that handoff';

CREATE TABLE @extschema@.reply_times (
    workspace_id    uuid NOT NULL,
    -- the reply (no foreign key: the row is written by the message's own
    -- BEFORE trigger, as the outbox's are)
    message_id      uuid NOT NULL,
    conversation_id uuid NOT NULL,
    operator_id     uuid,
    team_id         uuid,
    channel         text NOT NULL,
    -- the oldest customer message the reply answered (NULL: nobody waited)
    waiting_since   timestamptz,
    replied_at      timestamptz NOT NULL,
    PRIMARY KEY (workspace_id, message_id),
    FOREIGN KEY (workspace_id, conversation_id)
        REFERENCES @extschema@.conversations (workspace_id, id) ON DELETE CASCADE
);
-- a period's replies (routing_stats)
CREATE INDEX reply_times_replied_idx ON @extschema@.reply_times (workspace_id, replied_at);
CREATE INDEX reply_times_conversation_idx ON @extschema@.reply_times (workspace_id, conversation_id);
COMMENT ON TABLE @extschema@.reply_times IS
    'One row per public operator reply: the waiting time it ended (from waiting_since to replied_at); written only by the message trigger';
CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.reply_times
    FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update('workspace_id', 'message_id', 'operator_id', 'team_id',
                                                          'channel', 'waiting_since', 'replied_at');
CREATE POLICY reply_times_read ON @extschema@.reply_times FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
COMMENT ON POLICY reply_times_read ON @extschema@.reply_times IS
    'Defined by woes. Agents, operators, analysts and admins read reply times; only the message trigger writes them';

-- Every metric of the workspace's conversations, recomputed from the
-- histories (messages, status_events, assignments, handoff_events) by the
-- same definitions the triggers keep, beside the kept values (kept and
-- recomputed as text, in UTC, for verify_metrics).  Internal: verify_metrics() and the upgrade from 0.1.0 use it.
-- One statement of joins and aggregates, every table filtered by the
-- workspace (on Citus: routed whole to the workspace's worker; PL/pgSQL,
-- since Citus plans no parameter of an SQL function).
CREATE FUNCTION @extschema@.metrics_from_history(ws uuid)
    RETURNS TABLE (conversation_id uuid, number bigint, kept jsonb, recomputed jsonb,
                   first_customer_message_at timestamptz, first_response_at timestamptz,
                   human_clock_from timestamptz, first_human_response_at timestamptz,
                   first_operator_message_at timestamptz, first_resolved_at timestamptz,
                   last_resolved_at timestamptz, reopen_count integer, assignment_count integer,
                   first_assigned_at timestamptz, handoff_requested_at timestamptz, handoff_taken_at timestamptz)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
RETURN QUERY
WITH msg AS (
    SELECT m.conversation_id,
           min(m.created_at) FILTER (WHERE m.author_kind = 'customer') AS first_customer,
           min(m.created_at) FILTER (WHERE m.author_kind = 'operator') AS first_operator
      FROM @extschema@.messages m
     WHERE m.workspace_id = $1 AND m.visibility OPERATOR(@extschema@.=) 'public'
     GROUP BY m.conversation_id
), resp AS (
    SELECT m.conversation_id,
           min(m.created_at) FILTER (WHERE m.author_kind IN ('agent', 'operator')) AS first_response,
           min(m.created_at) FILTER (WHERE m.author_kind = 'operator') AS first_human
      FROM @extschema@.messages m
      JOIN msg ON msg.conversation_id = m.conversation_id
     WHERE m.workspace_id = $1 AND m.visibility OPERATOR(@extschema@.=) 'public'
       AND m.created_at >= msg.first_customer
     GROUP BY m.conversation_id
), st AS (
    SELECT s.conversation_id,
           min(s.created_at) FILTER (WHERE s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved') AS first_resolved,
           max(s.created_at) FILTER (WHERE s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved') AS last_resolved,
           count(*) FILTER (WHERE s.from_status::text = 'resolved' AND s.to_status::text = 'open')::integer AS reopens
      FROM @extschema@.status_events s
     WHERE s.workspace_id = $1
     GROUP BY s.conversation_id
), asg AS (
    SELECT a.conversation_id, count(*)::integer AS assignments, min(a.created_at) AS first_assigned
      FROM @extschema@.assignments a
     WHERE a.workspace_id = $1 AND a.to_assignee_id IS NOT NULL
       AND a.to_assignee_id IS DISTINCT FROM a.from_assignee_id
     GROUP BY a.conversation_id
), hof AS (
    SELECT h.conversation_id,
           min(h.created_at) FILTER (WHERE h.from_control::text = 'automation' AND h.to_control::text <> 'automation') AS requested
      FROM @extschema@.handoff_events h
     WHERE h.workspace_id = $1
     GROUP BY h.conversation_id
), taken AS (
    SELECT h.conversation_id, min(h.created_at) AS taken
      FROM @extschema@.handoff_events h
      JOIN hof ON hof.conversation_id = h.conversation_id
     WHERE h.workspace_id = $1 AND h.to_control::text = 'operator' AND h.from_control::text <> 'operator'
       AND h.created_at >= hof.requested
     GROUP BY h.conversation_id
), before_first AS (
    -- the control when the first customer message came: the last handoff
    -- before it ...
    SELECT DISTINCT ON (h.conversation_id) h.conversation_id, h.to_control::text AS control
      FROM @extschema@.handoff_events h
      JOIN msg ON msg.conversation_id = h.conversation_id
     WHERE h.workspace_id = $1 AND h.created_at <= msg.first_customer
     ORDER BY h.conversation_id, h.created_at DESC, h.id DESC
), first_handoff AS (
    -- ... else where the first handoff started, else the control today
    SELECT DISTINCT ON (h.conversation_id) h.conversation_id, h.from_control::text AS control
      FROM @extschema@.handoff_events h
     WHERE h.workspace_id = $1
     ORDER BY h.conversation_id, h.created_at, h.id
)
SELECT x.id, x.number,
       -- both as text in UTC, whatever the session's DateStyle and TimeZone
       -- (on Citus the worker's session formats them)
       jsonb_build_object(
           'first_customer_message_at', to_char(x.k_first_customer_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_response_at', to_char(x.k_first_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'human_clock_from', to_char(x.k_human_clock_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_human_response_at', to_char(x.k_first_human_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_operator_message_at', to_char(x.k_first_operator_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_resolved_at', to_char(x.k_first_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'last_resolved_at', to_char(x.k_last_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'reopen_count', x.k_reopen_count::text,
           'assignment_count', x.k_assignment_count::text,
           'first_assigned_at', to_char(x.k_first_assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_requested_at', to_char(x.k_handoff_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_taken_at', to_char(x.k_handoff_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')),
       jsonb_build_object(
           'first_customer_message_at', to_char(x.first_customer_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_response_at', to_char(x.first_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'human_clock_from', to_char(x.human_clock_from AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_human_response_at', to_char(x.first_human_response_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_operator_message_at', to_char(x.first_operator_message_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'first_resolved_at', to_char(x.first_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'last_resolved_at', to_char(x.last_resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'reopen_count', x.reopen_count::text,
           'assignment_count', x.assignment_count::text,
           'first_assigned_at', to_char(x.first_assigned_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_requested_at', to_char(x.handoff_requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'),
           'handoff_taken_at', to_char(x.handoff_taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')),
       x.first_customer_message_at, x.first_response_at, x.human_clock_from, x.first_human_response_at,
       x.first_operator_message_at, x.first_resolved_at, x.last_resolved_at, x.reopen_count, x.assignment_count,
       x.first_assigned_at, x.handoff_requested_at, x.handoff_taken_at
  FROM (
SELECT c.id, c.number,
       c.first_customer_message_at AS k_first_customer_message_at, c.first_response_at AS k_first_response_at,
       c.human_clock_from AS k_human_clock_from, c.first_human_response_at AS k_first_human_response_at,
       c.first_operator_message_at AS k_first_operator_message_at, c.first_resolved_at AS k_first_resolved_at,
       c.last_resolved_at AS k_last_resolved_at, c.reopen_count AS k_reopen_count,
       c.assignment_count AS k_assignment_count, c.first_assigned_at AS k_first_assigned_at,
       c.handoff_requested_at AS k_handoff_requested_at, c.handoff_taken_at AS k_handoff_taken_at,
       msg.first_customer AS first_customer_message_at, resp.first_response AS first_response_at,
       CASE WHEN msg.first_customer IS NOT NULL
                 AND coalesce(before_first.control, first_handoff.control, c.control::text) <> 'automation'
                 AND (hof.requested IS NULL OR msg.first_customer <= hof.requested)
            THEN msg.first_customer ELSE hof.requested END AS human_clock_from,
       resp.first_human AS first_human_response_at, msg.first_operator AS first_operator_message_at,
       st.first_resolved AS first_resolved_at, st.last_resolved AS last_resolved_at,
       coalesce(st.reopens, 0) AS reopen_count, coalesce(asg.assignments, 0) AS assignment_count,
       asg.first_assigned AS first_assigned_at, hof.requested AS handoff_requested_at, taken.taken AS handoff_taken_at
  FROM @extschema@.conversations c
  LEFT JOIN msg ON msg.conversation_id = c.id
  LEFT JOIN resp ON resp.conversation_id = c.id
  LEFT JOIN st ON st.conversation_id = c.id
  LEFT JOIN asg ON asg.conversation_id = c.id
  LEFT JOIN hof ON hof.conversation_id = c.id
  LEFT JOIN taken ON taken.conversation_id = c.id
  LEFT JOIN before_first ON before_first.conversation_id = c.id
  LEFT JOIN first_handoff ON first_handoff.conversation_id = c.id
 WHERE c.workspace_id = $1
  ) x;
END;
$$;
COMMENT ON FUNCTION @extschema@.metrics_from_history(uuid) IS
    'Internal: every metric of a workspace''s conversations, recomputed from the histories by the definitions the triggers keep, beside the kept values (kept and recomputed as text, in UTC)';

CREATE FUNCTION @extschema@.verify_metrics()
    RETURNS TABLE (conversation_id uuid, number bigint, metric text, kept text, recomputed text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws uuid := @extschema@.current_workspace();
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'verifying metrics');
    RETURN QUERY
    SELECT r.conversation_id, r.number, k.key, k.value, r.recomputed->>k.key
      FROM @extschema@.metrics_from_history(ws) r
     CROSS JOIN LATERAL jsonb_each_text(r.kept) k
     WHERE k.value IS DISTINCT FROM r.recomputed->>k.key
     ORDER BY r.number, k.key;
END;
$$;
COMMENT ON FUNCTION @extschema@.verify_metrics() IS
    'Recompute every metric of the context''s workspace from the histories and return each difference from the kept value (none: the metrics are true)';

-- the conversations already there: their metrics from their histories
-- (the triggers off, as for a replica: nothing else changes, not even
-- updated_at; ALTER TABLE ... DISABLE TRIGGER is refused on Citus)
SET LOCAL session_replication_role = replica;
UPDATE @extschema@.conversations c
   SET first_customer_message_at = r.first_customer_message_at, first_response_at = r.first_response_at,
       human_clock_from = r.human_clock_from, first_human_response_at = r.first_human_response_at,
       first_operator_message_at = r.first_operator_message_at, first_resolved_at = r.first_resolved_at,
       last_resolved_at = r.last_resolved_at, reopen_count = r.reopen_count,
       assignment_count = r.assignment_count, first_assigned_at = r.first_assigned_at,
       handoff_requested_at = r.handoff_requested_at, handoff_taken_at = r.handoff_taken_at
  FROM @extschema@.workspaces w, LATERAL @extschema@.metrics_from_history(w.id) r
 WHERE c.workspace_id = w.id AND c.id = r.conversation_id;
SET LOCAL session_replication_role = origin;
REVOKE EXECUTE ON FUNCTION @extschema@.metrics_from_history(uuid) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION @extschema@.verify_metrics() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.metrics_from_history(uuid) TO woes_service, woes_admin;
GRANT EXECUTE ON FUNCTION @extschema@.verify_metrics() TO woes_service, woes_admin;
GRANT SELECT ON @extschema@.reply_times TO woes_service, woes_admin, woes_analyst;
GRANT SELECT (first_customer_message_at, first_response_at, human_clock_from, first_human_response_at,
              first_operator_message_at, first_resolved_at, last_resolved_at, reopen_count,
              assignment_count, first_assigned_at, handoff_requested_at, handoff_taken_at)
    ON @extschema@.conversations TO woes_analyst;

CREATE SCHEMA woes_bi;
COMMENT ON SCHEMA woes_bi IS
    'woes for BI tools: metrics and dimensions of your workspace as plain views (see the woes README, "Connect a BI tool")';
CREATE VIEW woes_bi.workspace WITH (security_invoker = true) AS
SELECT w.id AS workspace_id, w.slug, w.name, w.created_at
  FROM @extschema@.workspaces w;
COMMENT ON VIEW woes_bi.workspace IS
    'Your workspace (the one your login is bound to), to label reports; key: workspace_id';
COMMENT ON COLUMN woes_bi.workspace.workspace_id IS 'The workspace (key)';
COMMENT ON COLUMN woes_bi.workspace.slug IS 'Its short name';
COMMENT ON COLUMN woes_bi.workspace.name IS 'Its name';
COMMENT ON COLUMN woes_bi.workspace.created_at IS 'When it was created';

CREATE VIEW woes_bi.conversation_metrics WITH (security_invoker = true) AS
SELECT c.id AS conversation_id, c.number, c.channel, c.status::text AS status, c.team_id, c.assignee_id,
       c.created_at,
       c.first_response_at,
       extract(epoch FROM c.first_response_at - c.first_customer_message_at) AS first_response_seconds,
       c.first_human_response_at,
       extract(epoch FROM c.first_human_response_at - c.human_clock_from) AS first_human_response_seconds,
       c.first_resolved_at, c.last_resolved_at,
       extract(epoch FROM c.first_resolved_at - c.created_at) AS resolution_seconds,
       c.reopen_count, c.assignment_count, c.first_assigned_at, c.handoff_requested_at,
       extract(epoch FROM c.handoff_taken_at - c.handoff_requested_at) AS handoff_wait_seconds,
       (c.last_resolved_at IS NOT NULL
        AND (c.first_operator_message_at IS NULL OR c.first_operator_message_at > c.last_resolved_at)) AS resolved_by_automation,
       c.first_customer_message_at, c.human_clock_from, c.handoff_taken_at,
       extract(epoch FROM c.last_resolved_at - c.created_at) AS full_resolution_seconds,
       c.workspace_id
  FROM @extschema@.conversations c;
COMMENT ON VIEW woes_bi.conversation_metrics IS
    'One row per conversation: its metrics (times as timestamptz, durations in seconds), labels as text; key: conversation_id. Definitions: the woes README, "Metrics"';
COMMENT ON COLUMN woes_bi.conversation_metrics.conversation_id IS 'The conversation (key)';
COMMENT ON COLUMN woes_bi.conversation_metrics.number IS 'Its ticket number in the workspace';
COMMENT ON COLUMN woes_bi.conversation_metrics.channel IS 'The channel it came in on (live_chat, email, discord, api, ...)';
COMMENT ON COLUMN woes_bi.conversation_metrics.status IS 'Its status now: open, pending, snoozed, resolved, closed';
COMMENT ON COLUMN woes_bi.conversation_metrics.team_id IS 'Its team now (teams.team_id)';
COMMENT ON COLUMN woes_bi.conversation_metrics.assignee_id IS 'Its assignee now (operators.operator_id)';
COMMENT ON COLUMN woes_bi.conversation_metrics.created_at IS 'When it was created';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_response_at IS 'The first public reply by an agent (bot) or operator after the first customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_response_seconds IS 'Seconds from the first customer message to first_response_at';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_human_response_at IS 'The first public reply by an operator (a person) after the first customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_human_response_seconds IS 'Seconds from the start of the human clock (the first customer message; for a conversation automation handled first, the handoff request) to first_human_response_at: bot time is not counted';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_resolved_at IS 'The first time it was resolved';
COMMENT ON COLUMN woes_bi.conversation_metrics.last_resolved_at IS 'The latest time it was resolved';
COMMENT ON COLUMN woes_bi.conversation_metrics.resolution_seconds IS 'Seconds from creation to the first resolution';
COMMENT ON COLUMN woes_bi.conversation_metrics.reopen_count IS 'How many times it went from resolved back to open';
COMMENT ON COLUMN woes_bi.conversation_metrics.assignment_count IS 'How many times it got a new assignee';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_assigned_at IS 'When it was first assigned';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_requested_at IS 'When automation first handed it to people (a request, or a takeover without one)';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_wait_seconds IS 'Seconds from handoff_requested_at to the first operator takeover';
COMMENT ON COLUMN woes_bi.conversation_metrics.resolved_by_automation IS 'Resolved (the latest time) before any public operator message: automation solved it';
COMMENT ON COLUMN woes_bi.conversation_metrics.first_customer_message_at IS 'The first public customer message';
COMMENT ON COLUMN woes_bi.conversation_metrics.human_clock_from IS 'When the human clock started';
COMMENT ON COLUMN woes_bi.conversation_metrics.handoff_taken_at IS 'The first operator takeover after the handoff';
COMMENT ON COLUMN woes_bi.conversation_metrics.full_resolution_seconds IS 'Seconds from creation to the latest resolution';
COMMENT ON COLUMN woes_bi.conversation_metrics.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.response_times WITH (security_invoker = true) AS
SELECT r.message_id, r.conversation_id, r.operator_id, r.team_id, r.channel, r.waiting_since, r.replied_at,
       extract(epoch FROM r.replied_at - r.waiting_since) AS seconds, r.workspace_id
  FROM @extschema@.reply_times r;
COMMENT ON VIEW woes_bi.response_times IS
    'One row per public operator reply: how long the customer had waited (from the oldest unanswered customer message); key: message_id';
COMMENT ON COLUMN woes_bi.response_times.message_id IS 'The reply (key)';
COMMENT ON COLUMN woes_bi.response_times.conversation_id IS 'Its conversation';
COMMENT ON COLUMN woes_bi.response_times.operator_id IS 'The operator who replied (operators.operator_id)';
COMMENT ON COLUMN woes_bi.response_times.team_id IS 'The conversations team when the reply was written';
COMMENT ON COLUMN woes_bi.response_times.channel IS 'The conversations channel';
COMMENT ON COLUMN woes_bi.response_times.waiting_since IS 'The oldest customer message the reply answered (empty: nobody was waiting)';
COMMENT ON COLUMN woes_bi.response_times.replied_at IS 'When the reply was written';
COMMENT ON COLUMN woes_bi.response_times.seconds IS 'Seconds the customer waited for this reply';
COMMENT ON COLUMN woes_bi.response_times.workspace_id IS 'The workspace (always yours)';

-- the UTC day of a time, as routing_stats buckets it: LEAKPROOF (it cannot
-- fail), so under row-level security a BI tool's filter on the day is
-- checked before the policies, and can be an index condition (src/bi.c)
CREATE FUNCTION @extschema@.utc_day(at timestamptz) RETURNS date
    AS 'MODULE_PATHNAME', 'woes_utc_day'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.utc_day(timestamptz) IS
    'The UTC day of a time, as (at AT TIME ZONE ''UTC'')::date, but LEAKPROOF: woes_bi.routing_stats buckets its days with it';

CREATE VIEW woes_bi.routing_stats WITH (security_invoker = true) AS
WITH facts AS (
    SELECT a.workspace_id, a.created_at AS at, a.to_team_id AS team_id, a.to_assignee_id AS operator_id,
           c.channel, 'assigned'::text AS what, NULL::numeric AS seconds
      FROM @extschema@.assignments a
      JOIN @extschema@.conversations c ON c.workspace_id = a.workspace_id AND c.id = a.conversation_id
     WHERE a.to_assignee_id IS NOT NULL AND a.to_assignee_id IS DISTINCT FROM a.from_assignee_id
    UNION ALL
    SELECT s.workspace_id, s.created_at, c.team_id, c.assignee_id, c.channel,
           CASE WHEN s.to_status::text = 'resolved' THEN 'resolved' ELSE 'reopened' END, NULL
      FROM @extschema@.status_events s
      JOIN @extschema@.conversations c ON c.workspace_id = s.workspace_id AND c.id = s.conversation_id
     WHERE (s.to_status::text = 'resolved' AND s.from_status::text IS DISTINCT FROM 'resolved')
        OR (s.from_status::text = 'resolved' AND s.to_status::text = 'open')
    UNION ALL
    SELECT h.workspace_id, h.created_at, c.team_id, c.assignee_id, c.channel, 'handed_off', NULL
      FROM @extschema@.handoff_events h
      JOIN @extschema@.conversations c ON c.workspace_id = h.workspace_id AND c.id = h.conversation_id
     WHERE h.from_control::text = 'automation' AND h.to_control::text <> 'automation'
    UNION ALL
    SELECT c.workspace_id, c.first_human_response_at, c.team_id, c.assignee_id, c.channel, 'first_human_response',
           extract(epoch FROM c.first_human_response_at - c.human_clock_from)
      FROM @extschema@.conversations c
     WHERE c.first_human_response_at IS NOT NULL
    UNION ALL
    SELECT r.workspace_id, r.replied_at, r.team_id, r.operator_id, r.channel, 'reply',
           extract(epoch FROM r.replied_at - r.waiting_since)
      FROM @extschema@.reply_times r
)
SELECT concat_ws('/', to_char(@extschema@.utc_day(f.at), 'YYYY-MM-DD'), coalesce(f.team_id::text, '-'),
                 coalesce(f.operator_id::text, '-'), f.channel) AS stat_id,
       @extschema@.utc_day(f.at) AS day, f.team_id, f.operator_id, f.channel,
       count(*) FILTER (WHERE f.what = 'assigned') AS assigned,
       count(*) FILTER (WHERE f.what = 'resolved') AS resolved,
       count(*) FILTER (WHERE f.what = 'reopened') AS reopened,
       count(*) FILTER (WHERE f.what = 'handed_off') AS handed_off,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'first_human_response'))::numeric
           AS first_human_response_median_seconds,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'first_human_response'))::numeric
           AS first_human_response_p90_seconds,
       (percentile_cont(0.5) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'reply'))::numeric
           AS reply_median_seconds,
       (percentile_cont(0.9) WITHIN GROUP (ORDER BY f.seconds) FILTER (WHERE f.what = 'reply'))::numeric
           AS reply_p90_seconds,
       f.workspace_id
  FROM facts f
 GROUP BY f.workspace_id, @extschema@.utc_day(f.at), f.team_id, f.operator_id, f.channel;
COMMENT ON VIEW woes_bi.routing_stats IS
    'Per day (UTC), team, operator and channel: conversations assigned, resolved, reopened and handed off by automation, and the median and 90th percentile of first human response and reply time; key: stat_id. Resolutions, reopens and handoffs count under the conversation''s team and assignee now; replies under the replying operator and the team then';
COMMENT ON COLUMN woes_bi.routing_stats.stat_id IS 'Key: day (YYYY-MM-DD)/team/operator/channel';
COMMENT ON COLUMN woes_bi.routing_stats.day IS 'The day (UTC)';
COMMENT ON COLUMN woes_bi.routing_stats.team_id IS 'The team (teams.team_id; empty: none)';
COMMENT ON COLUMN woes_bi.routing_stats.operator_id IS 'The operator (operators.operator_id; empty: none)';
COMMENT ON COLUMN woes_bi.routing_stats.channel IS 'The channel';
COMMENT ON COLUMN woes_bi.routing_stats.assigned IS 'Conversations assigned to the operator that day';
COMMENT ON COLUMN woes_bi.routing_stats.resolved IS 'Conversations resolved that day';
COMMENT ON COLUMN woes_bi.routing_stats.reopened IS 'Conversations reopened (resolved back to open) that day';
COMMENT ON COLUMN woes_bi.routing_stats.handed_off IS 'Conversations automation handed to people that day';
COMMENT ON COLUMN woes_bi.routing_stats.first_human_response_median_seconds IS 'Median seconds to the first human response, of the conversations first answered by a person that day';
COMMENT ON COLUMN woes_bi.routing_stats.first_human_response_p90_seconds IS '90th percentile of the same';
COMMENT ON COLUMN woes_bi.routing_stats.reply_median_seconds IS 'Median seconds a customer waited for an operator reply written that day';
COMMENT ON COLUMN woes_bi.routing_stats.reply_p90_seconds IS '90th percentile of the same';
COMMENT ON COLUMN woes_bi.routing_stats.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.issue_impact WITH (security_invoker = true) AS
SELECT i.issue_id, i.provider, i.external_key, i.title, i.state, i.provider_state, i.url,
       i.conversations_total, i.conversations_open, i.customers, i.customers_open,
       i.first_linked_at, i.last_linked_at, i.oldest_open_since, i.workspace_id
  FROM @extschema@.issue_impact i;
COMMENT ON VIEW woes_bi.issue_impact IS
    'Per linked product issue: its state and the conversations and customers it touches (the contract of woes.issue_impact); key: issue_id';
COMMENT ON COLUMN woes_bi.issue_impact.issue_id IS 'The issue (key)';
COMMENT ON COLUMN woes_bi.issue_impact.provider IS 'The tracker: linear, github, jira, internal, ...';
COMMENT ON COLUMN woes_bi.issue_impact.external_key IS 'The trackers key of the issue';
COMMENT ON COLUMN woes_bi.issue_impact.title IS 'The issues title in the tracker';
COMMENT ON COLUMN woes_bi.issue_impact.state IS 'Its state: open, in_progress, done, canceled';
COMMENT ON COLUMN woes_bi.issue_impact.provider_state IS 'Its state as the tracker names it';
COMMENT ON COLUMN woes_bi.issue_impact.url IS 'Its address in the tracker';
COMMENT ON COLUMN woes_bi.issue_impact.conversations_total IS 'Conversations linked to it';
COMMENT ON COLUMN woes_bi.issue_impact.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.issue_impact.customers IS 'Distinct customers of the linked conversations';
COMMENT ON COLUMN woes_bi.issue_impact.customers_open IS 'Distinct customers of the open ones';
COMMENT ON COLUMN woes_bi.issue_impact.first_linked_at IS 'When it was first linked';
COMMENT ON COLUMN woes_bi.issue_impact.last_linked_at IS 'When it was last linked';
COMMENT ON COLUMN woes_bi.issue_impact.oldest_open_since IS 'When the oldest open linked conversation started';
COMMENT ON COLUMN woes_bi.issue_impact.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.operators WITH (security_invoker = true) AS
SELECT o.id AS operator_id, o.name, o.active, o.away, o.created_at, o.workspace_id
  FROM @extschema@.operators o;
COMMENT ON VIEW woes_bi.operators IS
    'Operators (the people who answer), to label and filter by; key: operator_id';
COMMENT ON COLUMN woes_bi.operators.operator_id IS 'The operator (key)';
COMMENT ON COLUMN woes_bi.operators.name IS 'The operators name';
COMMENT ON COLUMN woes_bi.operators.active IS 'Whether the operator works here now';
COMMENT ON COLUMN woes_bi.operators.away IS 'Whether the operator is away (routed nothing)';
COMMENT ON COLUMN woes_bi.operators.created_at IS 'When the operator was added';
COMMENT ON COLUMN woes_bi.operators.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.teams WITH (security_invoker = true) AS
SELECT t.id AS team_id, t.name, t.workspace_id
  FROM @extschema@.teams t;
COMMENT ON VIEW woes_bi.teams IS
    'Teams, to label and filter by; key: team_id';
COMMENT ON COLUMN woes_bi.teams.team_id IS 'The team (key)';
COMMENT ON COLUMN woes_bi.teams.name IS 'The teams name';
COMMENT ON COLUMN woes_bi.teams.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.channels WITH (security_invoker = true) AS
SELECT ch.name AS channel, ch.description
  FROM @extschema@.channels ch;
COMMENT ON VIEW woes_bi.channels IS
    'Channels, to label and filter by; key: channel';
COMMENT ON COLUMN woes_bi.channels.channel IS 'The channel (key): live_chat, email, discord, api, ...';
COMMENT ON COLUMN woes_bi.channels.description IS 'What the channel is';

CREATE VIEW woes_bi.tags WITH (security_invoker = true) AS
SELECT t.id AS tag_id, t.name, t.color,
       (SELECT count(*) FROM @extschema@.conversation_tags ct
         WHERE ct.workspace_id = t.workspace_id AND ct.tag_id = t.id) AS conversations,
       t.workspace_id
  FROM @extschema@.tags t;
COMMENT ON VIEW woes_bi.tags IS
    'Tags, with how many conversations carry each; key: tag_id';
COMMENT ON COLUMN woes_bi.tags.tag_id IS 'The tag (key)';
COMMENT ON COLUMN woes_bi.tags.name IS 'The tags name';
COMMENT ON COLUMN woes_bi.tags.color IS 'Its colour (#rrggbb)';
COMMENT ON COLUMN woes_bi.tags.conversations IS 'Conversations tagged with it now';
COMMENT ON COLUMN woes_bi.tags.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.conversation_tags WITH (security_invoker = true) AS
SELECT ct.conversation_id::text || '/' || ct.tag_id::text AS conversation_tag_id, ct.conversation_id, ct.tag_id,
       ct.created_at AS tagged_at, ct.workspace_id
  FROM @extschema@.conversation_tags ct;
COMMENT ON VIEW woes_bi.conversation_tags IS
    'Which conversation carries which tag; key: conversation_tag_id';
COMMENT ON COLUMN woes_bi.conversation_tags.conversation_tag_id IS 'Key: conversation/tag';
COMMENT ON COLUMN woes_bi.conversation_tags.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.conversation_tags.tag_id IS 'The tag (tags.tag_id)';
COMMENT ON COLUMN woes_bi.conversation_tags.tagged_at IS 'When it was tagged';
COMMENT ON COLUMN woes_bi.conversation_tags.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.status_changes WITH (security_invoker = true) AS
SELECT s.id AS status_change_id, s.conversation_id, s.from_status::text AS from_status, s.to_status::text AS to_status,
       s.actor_kind, s.actor_id, s.created_at AS changed_at, s.workspace_id
  FROM @extschema@.status_events s;
COMMENT ON VIEW woes_bi.status_changes IS
    'Every status change of every conversation, as text; key: status_change_id';
COMMENT ON COLUMN woes_bi.status_changes.status_change_id IS 'The change (key)';
COMMENT ON COLUMN woes_bi.status_changes.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.status_changes.from_status IS 'The status before (empty when it was created)';
COMMENT ON COLUMN woes_bi.status_changes.to_status IS 'The status after: open, pending, snoozed, resolved, closed';
COMMENT ON COLUMN woes_bi.status_changes.actor_kind IS 'Who changed it: customer, agent, operator, system';
COMMENT ON COLUMN woes_bi.status_changes.actor_id IS 'The contact, agent or operator who changed it';
COMMENT ON COLUMN woes_bi.status_changes.changed_at IS 'When';
COMMENT ON COLUMN woes_bi.status_changes.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.handoffs WITH (security_invoker = true) AS
SELECT h.id AS handoff_id, h.conversation_id, h.kind, h.from_control::text AS from_control, h.to_control::text AS to_control,
       h.actor_kind, h.actor_id, h.operator_id, h.created_at AS handed_at, h.workspace_id
  FROM @extschema@.handoff_events h;
COMMENT ON VIEW woes_bi.handoffs IS
    'Every handoff between automation and people, as text; key: handoff_id';
COMMENT ON COLUMN woes_bi.handoffs.handoff_id IS 'The handoff (key)';
COMMENT ON COLUMN woes_bi.handoffs.conversation_id IS 'The conversation';
COMMENT ON COLUMN woes_bi.handoffs.kind IS 'requested, taken_over or released';
COMMENT ON COLUMN woes_bi.handoffs.from_control IS 'Who answered before: automation, handoff_requested, operator';
COMMENT ON COLUMN woes_bi.handoffs.to_control IS 'Who answers after';
COMMENT ON COLUMN woes_bi.handoffs.actor_kind IS 'Who made it: customer, agent, operator, system';
COMMENT ON COLUMN woes_bi.handoffs.actor_id IS 'The contact, agent or operator who made it';
COMMENT ON COLUMN woes_bi.handoffs.operator_id IS 'The operator holding it after a takeover';
COMMENT ON COLUMN woes_bi.handoffs.handed_at IS 'When';
COMMENT ON COLUMN woes_bi.handoffs.workspace_id IS 'The workspace (always yours)';


-- Custom fields, for analysts only in aggregate: a text field may hold what
-- identifies a customer, so no view shows a conversation's own value.  The
-- values' table has no policy for analysts (nor may a backend in the
-- analyst audience read it), so the aggregates come from a SECURITY
-- DEFINER function that reads the caller's workspace only; one query per
-- field, each on the workspace's shard on Citus.
CREATE FUNCTION @extschema@.field_stats()
    RETURNS TABLE (field_key text, field_type text, required boolean, options text, option text,
                   conversations bigint, conversations_open bigint,
                   number_min numeric, number_max numeric, number_avg numeric, number_sum numeric,
                   date_min date, date_max date, created_at timestamptz, workspace_id uuid)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    ws     uuid := @extschema@.current_workspace();
    d      record;
    counts jsonb;
    o      text;
BEGIN
    IF ws IS NULL OR NOT @extschema@.in_audience('{analyst,operator,admin}') THEN
        RETURN;
    END IF;
    FOR d IN
        SELECT fd.key, fd.type, fd.required, fd.options, fd.created_at
          FROM @extschema@.field_definitions fd
         WHERE fd.workspace_id = ws
         ORDER BY fd.key
    LOOP
        field_key := d.key; field_type := d.type; required := d.required;
        options := array_to_string(d.options, ', '); option := NULL;
        created_at := d.created_at; workspace_id := ws;
        SELECT count(*), count(*) FILTER (WHERE x.open),
               min(x.num), max(x.num), avg(x.num), sum(x.num), min(x.day), max(x.day)
          INTO conversations, conversations_open,
               number_min, number_max, number_avg, number_sum, date_min, date_max
          FROM (SELECT CASE WHEN d.type = 'number' THEN (cf.value)::numeric END AS num,
                       CASE WHEN d.type = 'date' THEN (cf.value #>> '{}')::date END AS day,
                       c.status::text IN ('open', 'pending', 'snoozed') AS open
                  FROM @extschema@.conversation_fields cf
                  JOIN @extschema@.conversations c ON c.workspace_id = cf.workspace_id AND c.id = cf.conversation_id
                 WHERE cf.workspace_id = ws AND c.workspace_id = ws AND cf.key = d.key) x;
        RETURN NEXT;
        -- one row per option (the select types) or per truth value
        CONTINUE WHEN d.type NOT IN ('select', 'multi_select', 'boolean');
        SELECT jsonb_object_agg(y.val, jsonb_build_array(y.n, y.n_open)) INTO counts
          FROM (SELECT e.val, count(*) AS n,
                       count(*) FILTER (WHERE c.status::text IN ('open', 'pending', 'snoozed')) AS n_open
                  FROM @extschema@.conversation_fields cf
                  JOIN @extschema@.conversations c ON c.workspace_id = cf.workspace_id AND c.id = cf.conversation_id
                 CROSS JOIN LATERAL jsonb_array_elements_text(
                       CASE WHEN jsonb_typeof(cf.value) = 'array' THEN cf.value
                            ELSE jsonb_build_array(cf.value) END) e (val)
                 WHERE cf.workspace_id = ws AND c.workspace_id = ws AND cf.key = d.key
                 GROUP BY e.val) y;
        number_min := NULL; number_max := NULL; number_avg := NULL; number_sum := NULL;
        date_min := NULL; date_max := NULL; required := NULL; options := NULL;
        FOREACH o IN ARRAY CASE WHEN d.type = 'boolean' THEN '{true,false}'::text[] ELSE d.options END
        LOOP
            option := o;
            conversations := coalesce((counts -> o ->> 0)::bigint, 0);
            conversations_open := coalesce((counts -> o ->> 1)::bigint, 0);
            RETURN NEXT;
        END LOOP;
    END LOOP;
END;
$$;
COMMENT ON FUNCTION @extschema@.field_stats() IS
    'Internal: the custom fields of the context''s workspace in aggregate, for woes_bi.fields and woes_bi.field_options (no conversation''s own value); analyst, operator and admin audiences';

CREATE VIEW woes_bi.fields WITH (security_invoker = true) AS
SELECT s.field_key, s.field_type, s.required, s.options, s.conversations, s.conversations_open,
       s.number_min, s.number_max, s.number_avg, s.number_sum, s.date_min, s.date_max, s.created_at,
       s.workspace_id
  FROM @extschema@.field_stats() s
 WHERE s.option IS NULL;
COMMENT ON VIEW woes_bi.fields IS
    'Custom fields, each with how many conversations have a value and, for number and date fields, its range; in aggregate only (no conversation''s own value); key: field_key';
COMMENT ON COLUMN woes_bi.fields.field_key IS 'The field (key), as the API names it';
COMMENT ON COLUMN woes_bi.fields.field_type IS 'Its type: text, number, boolean, date, select, multi_select';
COMMENT ON COLUMN woes_bi.fields.required IS 'Whether a conversation needs it set to be resolved';
COMMENT ON COLUMN woes_bi.fields.options IS 'The options of a select field, comma separated';
COMMENT ON COLUMN woes_bi.fields.conversations IS 'Conversations with a value';
COMMENT ON COLUMN woes_bi.fields.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.fields.number_min IS 'The smallest value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_max IS 'The largest value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_avg IS 'The average value (number fields)';
COMMENT ON COLUMN woes_bi.fields.number_sum IS 'The sum of the values (number fields)';
COMMENT ON COLUMN woes_bi.fields.date_min IS 'The earliest value (date fields)';
COMMENT ON COLUMN woes_bi.fields.date_max IS 'The latest value (date fields)';
COMMENT ON COLUMN woes_bi.fields.created_at IS 'When the field was defined';
COMMENT ON COLUMN woes_bi.fields.workspace_id IS 'The workspace (always yours)';

CREATE VIEW woes_bi.field_options WITH (security_invoker = true) AS
SELECT s.field_key || '=' || s.option AS field_option_id, s.field_key, s.field_type, s.option,
       s.conversations, s.conversations_open, s.workspace_id
  FROM @extschema@.field_stats() s
 WHERE s.option IS NOT NULL;
COMMENT ON VIEW woes_bi.field_options IS
    'Per option of a select or multi-select field (and per true and false of a boolean field): how many conversations have it; key: field_option_id';
COMMENT ON COLUMN woes_bi.field_options.field_option_id IS 'Key: field=option';
COMMENT ON COLUMN woes_bi.field_options.field_key IS 'The field (fields.field_key)';
COMMENT ON COLUMN woes_bi.field_options.field_type IS 'Its type: select, multi_select or boolean';
COMMENT ON COLUMN woes_bi.field_options.option IS 'The option (true or false for a boolean field)';
COMMENT ON COLUMN woes_bi.field_options.conversations IS 'Conversations with this option (a multi-select counts under each of its options)';
COMMENT ON COLUMN woes_bi.field_options.conversations_open IS 'Of those, still open, pending or snoozed';
COMMENT ON COLUMN woes_bi.field_options.workspace_id IS 'The workspace (always yours)';

REVOKE EXECUTE ON FUNCTION @extschema@.field_stats() FROM PUBLIC;
-- utc_day is harmless (PUBLIC keeps it, as the type support functions)
GRANT EXECUTE ON FUNCTION @extschema@.utc_day(timestamptz) TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.field_stats() TO woes_service, woes_admin, woes_analyst;

GRANT USAGE ON SCHEMA woes_bi TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON ALL TABLES IN SCHEMA woes_bi TO woes_service, woes_admin, woes_analyst;
-- analysts read schema woes_bi only: no USAGE on woes, and no SELECT on
-- what no view of woes_bi reads (90_grants.sql)
REVOKE USAGE ON SCHEMA @extschema@ FROM woes_analyst;
REVOKE SELECT ON @extschema@.merges, @extschema@.issue_state_events, @extschema@.operator_loads,
    @extschema@.field_definitions, @extschema@.team_members, @extschema@.agents FROM woes_analyst;
-- operators: not their email (on Citus analysts have USAGE on woes)
REVOKE SELECT ON @extschema@.operators FROM woes_analyst;
GRANT SELECT (workspace_id, id, name, active, away, created_at) ON @extschema@.operators TO woes_analyst;

-- the conversation trigger fires on a write of a metric column too: the
-- metrics are the triggers' alone (src/metrics.c)
DROP TRIGGER lifecycle ON @extschema@.conversations;
CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE OF status, snoozed_until, control, controller_id,
    assignee_id, team_id,
    -- the metrics (src/metrics.c keeps them: a raw write of one fires it too)
    first_customer_message_at, first_response_at, human_clock_from, first_human_response_at,
    first_operator_message_at, first_resolved_at, last_resolved_at, reopen_count, assignment_count,
    first_assigned_at, handoff_requested_at, handoff_taken_at
    ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lifecycle();

-- The tables new in 0.2.0 get what 80_row_security.sql gives every table
-- (the same steps, for these tables only: on a distributed database the
-- older tables' restrictive policies are gone on purpose, see distribute())
DO $$
DECLARE
    t       record;
    p       record;
    col     text;
BEGIN
    FOR t IN
        SELECT c.oid, c.relname FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relname OPERATOR(pg_catalog.=) ANY ('{assignments,operator_loads,tags,conversation_tags,field_definitions,conversation_fields,macros,issues,conversation_issues,issue_state_events,merges,reply_times}')
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE @extschema@.%I FORCE ROW LEVEL SECURITY', t.relname);
        EXECUTE format(
            'CREATE POLICY workspace_isolation ON @extschema@.%I AS RESTRICTIVE FOR ALL'
            ' USING (workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace())'
            ' WITH CHECK (@extschema@.in_workspace(workspace_id))', t.relname);
        EXECUTE format(
            'COMMENT ON POLICY workspace_isolation ON @extschema@.%I IS %L', t.relname,
            'Defined by woes. Restrictive: only rows of the context''s workspace are visible or writable');
        FOR p IN
            SELECT pol.polname, pol.polcmd,
                   pg_catalog.pg_get_expr(pol.polqual, pol.polrelid) AS qual,
                   pg_catalog.pg_get_expr(pol.polwithcheck, pol.polrelid) AS chk
              FROM pg_catalog.pg_policy pol
             WHERE pol.polrelid OPERATOR(pg_catalog.=) t.oid AND pol.polpermissive
               AND pg_catalog.obj_description(pol.oid, 'pg_policy') LIKE 'Defined by woes.%'
        LOOP
            EXECUTE format('ALTER POLICY %I ON @extschema@.%I%s%s', p.polname, t.relname,
                CASE WHEN p.qual IS NOT NULL THEN
                    format(' USING (workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace() AND (%s))', p.qual)
                ELSE '' END,
                CASE WHEN p.polcmd OPERATOR(pg_catalog.<>) ALL ('{r,d}'::"char"[]) THEN
                    format(' WITH CHECK (@extschema@.in_workspace(workspace_id) AND (%s))', coalesce(p.chk, p.qual))
                ELSE '' END);
        END LOOP;
        EXECUTE format(
            'CREATE TRIGGER require_context BEFORE INSERT OR UPDATE OR DELETE ON @extschema@.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_context()', t.relname);
        IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attname OPERATOR(pg_catalog.=) 'id'
                      AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.uuid'::pg_catalog.regtype) THEN
            EXECUTE format(
                'CREATE TRIGGER _assign_id BEFORE INSERT ON @extschema@.%I'
                ' FOR EACH ROW EXECUTE FUNCTION @extschema@.assign_id()', t.relname);
        END IF;
        FOR col IN
            SELECT a.attname FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attnum OPERATOR(pg_catalog.>) 0
               AND NOT a.attisdropped
               AND (a.atttypid OPERATOR(pg_catalog.=) ANY ('{text,jsonb,json}'::pg_catalog.regtype[])
                    OR (SELECT ty.typcategory FROM pg_catalog.pg_type ty
                         WHERE ty.oid OPERATOR(pg_catalog.=) a.atttypid) OPERATOR(pg_catalog.=) 'A')
               AND NOT a.attname OPERATOR(pg_catalog.=) ANY ('{channel,channels,kind,author_kind,actor_kind}')
        LOOP
            EXECUTE format('ALTER TABLE @extschema@.%I ALTER COLUMN %I SET STATISTICS 0', t.relname, col);
        END LOOP;
        PERFORM pg_catalog.pg_extension_config_dump(t.oid::regclass, '');
        PERFORM pg_catalog.pg_extension_config_dump(d.objid::regclass, '')
           FROM pg_catalog.pg_depend d
          WHERE d.refobjid OPERATOR(pg_catalog.=) t.oid
            AND d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_class'::regclass
            AND d.deptype OPERATOR(pg_catalog.=) ANY ('{a,i}')
            AND (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid OPERATOR(pg_catalog.=) d.objid)
                OPERATOR(pg_catalog.=) 'S';
    END LOOP;
END;
$$;

-- The planner tells workspaces apart by workspace_id's most common values:
-- at the default statistics target (100) only the 100 largest are known,
-- and every other workspace is estimated at the average of the rest -- a
-- workspace with a few hundred open conversations looks like one with
-- twenty, and its inbox page is planned as "read them all, then sort".  A
-- thousand values cover the workspaces whose size matters to a plan
-- (src/plans.c sizes workspaces from the same statistics), for a larger
-- ANALYZE sample of this table (300,000 rows).
ALTER TABLE @extschema@.conversations ALTER COLUMN workspace_id SET STATISTICS 1000;

-- Last, over every policy woes created above: woes.stamp_policy writes its
-- fingerprint (see woes.policy_fingerprint) at the end of its comment, after the
-- words 'woes fingerprint: ' on a line of their own.  The C code takes a
-- policy for woes's own only while it matches the fingerprint
-- (policy_is_woes_own in src/policies.c), so an ALTER POLICY that rewrites
-- one, which keeps the comment, sends the direct paths to the statements.
-- A policy that has a fingerprint line already is left as it is: those the
-- check after the comments above found changed before the update keep
-- theirs, 'none'.
DO $$
DECLARE
    p   record;
BEGIN
    FOR p IN
        SELECT pol.polrelid::pg_catalog.regclass AS tbl, pol.polname
          FROM pg_catalog.pg_policy pol
          JOIN pg_catalog.pg_class c ON c.oid OPERATOR(pg_catalog.=) pol.polrelid
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND pg_catalog.obj_description(pol.oid, 'pg_policy') LIKE 'Defined by woes.%'
           AND pg_catalog.obj_description(pol.oid, 'pg_policy') NOT LIKE E'%\nwoes fingerprint: %'
    LOOP
        PERFORM @extschema@.stamp_policy(p.tbl, p.polname);
    END LOOP;
END;
$$;

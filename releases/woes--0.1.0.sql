-- woes 0.1.0: the released 0.1.0 install script, kept as released: never edit it (schema changes after 0.1.0 go into src/sql/ and into an upgrade script).
-- woes install script, built from src/sql/*.sql by the Makefile.
\echo Use "CREATE EXTENSION woes" to load this file. \quit

--------------------------------------------------------------------------
-- Ids
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.uuid_generate_v7() RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_uuid_generate_v7'
    LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.uuid_generate_v7() IS
    'A new time-ordered UUID version 7 (RFC 9562), made in C; every woes id is one';

CREATE FUNCTION @extschema@.uuid_v7_time(id uuid) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'woes_uuid_v7_time'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.uuid_v7_time(uuid) IS
    'The creation time (millisecond precision) carried by a version 7 UUID; NULL for other versions';

--------------------------------------------------------------------------
-- Small enumerated types, one byte each, in C (src/enums.c).  Comparison
-- and hashing are shared C functions; only I/O is per type.
--------------------------------------------------------------------------

-- woes.audience ----------------------------------------------------
CREATE TYPE @extschema@.audience;
CREATE FUNCTION @extschema@.audience_in(cstring) RETURNS @extschema@.audience
    AS 'MODULE_PATHNAME', 'woes_audience_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.audience_out(@extschema@.audience) RETURNS cstring
    AS 'MODULE_PATHNAME', 'woes_audience_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.audience_recv(internal) RETURNS @extschema@.audience
    AS 'MODULE_PATHNAME', 'woes_audience_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.audience_send(@extschema@.audience) RETURNS bytea
    AS 'MODULE_PATHNAME', 'woes_audience_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.audience (
    INPUT = @extschema@.audience_in, OUTPUT = @extschema@.audience_out,
    RECEIVE = @extschema@.audience_recv, SEND = @extschema@.audience_send,
    INTERNALLENGTH = 1, PASSEDBYVALUE, ALIGNMENT = char, STORAGE = plain,
    CATEGORY = 'E'
);
COMMENT ON TYPE @extschema@.audience IS
    'Who a transaction acts for: customer, agent, operator, analyst, admin';
COMMENT ON FUNCTION @extschema@.audience_in(cstring) IS 'input of woes.audience';
COMMENT ON FUNCTION @extschema@.audience_out(@extschema@.audience) IS 'output of woes.audience';
COMMENT ON FUNCTION @extschema@.audience_recv(internal) IS 'binary input of woes.audience (the label text)';
COMMENT ON FUNCTION @extschema@.audience_send(@extschema@.audience) IS 'binary output of woes.audience (the label text)';
CREATE FUNCTION @extschema@.audience_eq(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_eq(@extschema@.audience, @extschema@.audience) IS 'equal (woes.audience order)';
CREATE FUNCTION @extschema@.audience_ne(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_ne(@extschema@.audience, @extschema@.audience) IS 'not equal (woes.audience order)';
CREATE FUNCTION @extschema@.audience_lt(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_lt(@extschema@.audience, @extschema@.audience) IS 'less than (woes.audience order)';
CREATE FUNCTION @extschema@.audience_le(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_le(@extschema@.audience, @extschema@.audience) IS 'less or equal (woes.audience order)';
CREATE FUNCTION @extschema@.audience_gt(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_gt(@extschema@.audience, @extschema@.audience) IS 'greater than (woes.audience order)';
CREATE FUNCTION @extschema@.audience_ge(@extschema@.audience, @extschema@.audience) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_ge(@extschema@.audience, @extschema@.audience) IS 'greater or equal (woes.audience order)';
CREATE FUNCTION @extschema@.audience_cmp(@extschema@.audience, @extschema@.audience) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_cmp(@extschema@.audience, @extschema@.audience) IS 'btree comparison of woes.audience';
CREATE FUNCTION @extschema@.audience_hash(@extschema@.audience) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_hash(@extschema@.audience) IS 'hash of woes.audience';
CREATE FUNCTION @extschema@.audience_hash_extended(@extschema@.audience, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_enum_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.audience_hash_extended(@extschema@.audience, bigint) IS 'seeded hash of woes.audience';
CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.audience, @extschema@.audience) IS 'equal (woes.audience order)';
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR @extschema@.<> (@extschema@.audience, @extschema@.audience) IS 'not equal (woes.audience order)';
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR @extschema@.< (@extschema@.audience, @extschema@.audience) IS 'less than (woes.audience order)';
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR @extschema@.<= (@extschema@.audience, @extschema@.audience) IS 'less or equal (woes.audience order)';
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR @extschema@.> (@extschema@.audience, @extschema@.audience) IS 'greater than (woes.audience order)';
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.audience, RIGHTARG = @extschema@.audience, FUNCTION = @extschema@.audience_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR @extschema@.>= (@extschema@.audience, @extschema@.audience) IS 'greater or equal (woes.audience order)';
CREATE OPERATOR CLASS @extschema@.audience_ops DEFAULT FOR TYPE @extschema@.audience USING btree AS
    OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
    OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
    FUNCTION 1 @extschema@.audience_cmp(@extschema@.audience, @extschema@.audience);
COMMENT ON OPERATOR CLASS @extschema@.audience_ops USING btree IS 'default btree order of woes.audience';
CREATE OPERATOR CLASS @extschema@.audience_hash_ops DEFAULT FOR TYPE @extschema@.audience USING hash AS
    OPERATOR 1 @extschema@.= ,
    FUNCTION 1 @extschema@.audience_hash(@extschema@.audience),
    FUNCTION 2 @extschema@.audience_hash_extended(@extschema@.audience, bigint);
COMMENT ON OPERATOR CLASS @extschema@.audience_hash_ops USING hash IS 'default hash opclass of woes.audience';
CREATE CAST (@extschema@.audience AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.audience) WITH INOUT;

-- woes.status ------------------------------------------------------
CREATE TYPE @extschema@.status;
CREATE FUNCTION @extschema@.status_in(cstring) RETURNS @extschema@.status
    AS 'MODULE_PATHNAME', 'woes_status_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_out(@extschema@.status) RETURNS cstring
    AS 'MODULE_PATHNAME', 'woes_status_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_recv(internal) RETURNS @extschema@.status
    AS 'MODULE_PATHNAME', 'woes_status_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.status_send(@extschema@.status) RETURNS bytea
    AS 'MODULE_PATHNAME', 'woes_status_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.status (
    INPUT = @extschema@.status_in, OUTPUT = @extschema@.status_out,
    RECEIVE = @extschema@.status_recv, SEND = @extschema@.status_send,
    INTERNALLENGTH = 1, PASSEDBYVALUE, ALIGNMENT = char, STORAGE = plain,
    CATEGORY = 'E'
);
COMMENT ON TYPE @extschema@.status IS
    'Conversation lifecycle status, ordered open < pending < snoozed < resolved < closed';
COMMENT ON FUNCTION @extschema@.status_in(cstring) IS 'input of woes.status';
COMMENT ON FUNCTION @extschema@.status_out(@extschema@.status) IS 'output of woes.status';
COMMENT ON FUNCTION @extschema@.status_recv(internal) IS 'binary input of woes.status (the label text)';
COMMENT ON FUNCTION @extschema@.status_send(@extschema@.status) IS 'binary output of woes.status (the label text)';
CREATE FUNCTION @extschema@.status_eq(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_eq(@extschema@.status, @extschema@.status) IS 'equal (woes.status order)';
CREATE FUNCTION @extschema@.status_ne(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_ne(@extschema@.status, @extschema@.status) IS 'not equal (woes.status order)';
CREATE FUNCTION @extschema@.status_lt(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_lt(@extschema@.status, @extschema@.status) IS 'less than (woes.status order)';
CREATE FUNCTION @extschema@.status_le(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_le(@extschema@.status, @extschema@.status) IS 'less or equal (woes.status order)';
CREATE FUNCTION @extschema@.status_gt(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_gt(@extschema@.status, @extschema@.status) IS 'greater than (woes.status order)';
CREATE FUNCTION @extschema@.status_ge(@extschema@.status, @extschema@.status) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_ge(@extschema@.status, @extschema@.status) IS 'greater or equal (woes.status order)';
CREATE FUNCTION @extschema@.status_cmp(@extschema@.status, @extschema@.status) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_cmp(@extschema@.status, @extschema@.status) IS 'btree comparison of woes.status';
CREATE FUNCTION @extschema@.status_hash(@extschema@.status) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_hash(@extschema@.status) IS 'hash of woes.status';
CREATE FUNCTION @extschema@.status_hash_extended(@extschema@.status, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_enum_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.status_hash_extended(@extschema@.status, bigint) IS 'seeded hash of woes.status';
CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.status, @extschema@.status) IS 'equal (woes.status order)';
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR @extschema@.<> (@extschema@.status, @extschema@.status) IS 'not equal (woes.status order)';
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR @extschema@.< (@extschema@.status, @extschema@.status) IS 'less than (woes.status order)';
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR @extschema@.<= (@extschema@.status, @extschema@.status) IS 'less or equal (woes.status order)';
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR @extschema@.> (@extschema@.status, @extschema@.status) IS 'greater than (woes.status order)';
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.status, RIGHTARG = @extschema@.status, FUNCTION = @extschema@.status_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR @extschema@.>= (@extschema@.status, @extschema@.status) IS 'greater or equal (woes.status order)';
CREATE OPERATOR CLASS @extschema@.status_ops DEFAULT FOR TYPE @extschema@.status USING btree AS
    OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
    OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
    FUNCTION 1 @extschema@.status_cmp(@extschema@.status, @extschema@.status);
COMMENT ON OPERATOR CLASS @extschema@.status_ops USING btree IS 'default btree order of woes.status';
CREATE OPERATOR CLASS @extschema@.status_hash_ops DEFAULT FOR TYPE @extschema@.status USING hash AS
    OPERATOR 1 @extschema@.= ,
    FUNCTION 1 @extschema@.status_hash(@extschema@.status),
    FUNCTION 2 @extschema@.status_hash_extended(@extschema@.status, bigint);
COMMENT ON OPERATOR CLASS @extschema@.status_hash_ops USING hash IS 'default hash opclass of woes.status';
CREATE CAST (@extschema@.status AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.status) WITH INOUT;

-- woes.visibility --------------------------------------------------
CREATE TYPE @extschema@.visibility;
CREATE FUNCTION @extschema@.visibility_in(cstring) RETURNS @extschema@.visibility
    AS 'MODULE_PATHNAME', 'woes_visibility_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.visibility_out(@extschema@.visibility) RETURNS cstring
    AS 'MODULE_PATHNAME', 'woes_visibility_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.visibility_recv(internal) RETURNS @extschema@.visibility
    AS 'MODULE_PATHNAME', 'woes_visibility_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.visibility_send(@extschema@.visibility) RETURNS bytea
    AS 'MODULE_PATHNAME', 'woes_visibility_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.visibility (
    INPUT = @extschema@.visibility_in, OUTPUT = @extschema@.visibility_out,
    RECEIVE = @extschema@.visibility_recv, SEND = @extschema@.visibility_send,
    INTERNALLENGTH = 1, PASSEDBYVALUE, ALIGNMENT = char, STORAGE = plain,
    CATEGORY = 'E'
);
COMMENT ON TYPE @extschema@.visibility IS
    'Who a message is for: public (the customer), internal (private note), debug (diagnostic trace)';
COMMENT ON FUNCTION @extschema@.visibility_in(cstring) IS 'input of woes.visibility';
COMMENT ON FUNCTION @extschema@.visibility_out(@extschema@.visibility) IS 'output of woes.visibility';
COMMENT ON FUNCTION @extschema@.visibility_recv(internal) IS 'binary input of woes.visibility (the label text)';
COMMENT ON FUNCTION @extschema@.visibility_send(@extschema@.visibility) IS 'binary output of woes.visibility (the label text)';
CREATE FUNCTION @extschema@.visibility_eq(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_eq(@extschema@.visibility, @extschema@.visibility) IS 'equal (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_ne(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_ne(@extschema@.visibility, @extschema@.visibility) IS 'not equal (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_lt(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_lt(@extschema@.visibility, @extschema@.visibility) IS 'less than (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_le(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_le(@extschema@.visibility, @extschema@.visibility) IS 'less or equal (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_gt(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_gt(@extschema@.visibility, @extschema@.visibility) IS 'greater than (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_ge(@extschema@.visibility, @extschema@.visibility) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_ge(@extschema@.visibility, @extschema@.visibility) IS 'greater or equal (woes.visibility order)';
CREATE FUNCTION @extschema@.visibility_cmp(@extschema@.visibility, @extschema@.visibility) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_cmp(@extschema@.visibility, @extschema@.visibility) IS 'btree comparison of woes.visibility';
CREATE FUNCTION @extschema@.visibility_hash(@extschema@.visibility) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_hash(@extschema@.visibility) IS 'hash of woes.visibility';
CREATE FUNCTION @extschema@.visibility_hash_extended(@extschema@.visibility, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_enum_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.visibility_hash_extended(@extschema@.visibility, bigint) IS 'seeded hash of woes.visibility';
CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.visibility, @extschema@.visibility) IS 'equal (woes.visibility order)';
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR @extschema@.<> (@extschema@.visibility, @extschema@.visibility) IS 'not equal (woes.visibility order)';
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR @extschema@.< (@extschema@.visibility, @extschema@.visibility) IS 'less than (woes.visibility order)';
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR @extschema@.<= (@extschema@.visibility, @extschema@.visibility) IS 'less or equal (woes.visibility order)';
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR @extschema@.> (@extschema@.visibility, @extschema@.visibility) IS 'greater than (woes.visibility order)';
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.visibility, RIGHTARG = @extschema@.visibility, FUNCTION = @extschema@.visibility_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR @extschema@.>= (@extschema@.visibility, @extschema@.visibility) IS 'greater or equal (woes.visibility order)';
CREATE OPERATOR CLASS @extschema@.visibility_ops DEFAULT FOR TYPE @extschema@.visibility USING btree AS
    OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
    OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
    FUNCTION 1 @extschema@.visibility_cmp(@extschema@.visibility, @extschema@.visibility);
COMMENT ON OPERATOR CLASS @extschema@.visibility_ops USING btree IS 'default btree order of woes.visibility';
CREATE OPERATOR CLASS @extschema@.visibility_hash_ops DEFAULT FOR TYPE @extschema@.visibility USING hash AS
    OPERATOR 1 @extschema@.= ,
    FUNCTION 1 @extschema@.visibility_hash(@extschema@.visibility),
    FUNCTION 2 @extschema@.visibility_hash_extended(@extschema@.visibility, bigint);
COMMENT ON OPERATOR CLASS @extschema@.visibility_hash_ops USING hash IS 'default hash opclass of woes.visibility';
CREATE CAST (@extschema@.visibility AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.visibility) WITH INOUT;

-- woes.control -----------------------------------------------------
CREATE TYPE @extschema@.control;
CREATE FUNCTION @extschema@.control_in(cstring) RETURNS @extschema@.control
    AS 'MODULE_PATHNAME', 'woes_control_in' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.control_out(@extschema@.control) RETURNS cstring
    AS 'MODULE_PATHNAME', 'woes_control_out' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.control_recv(internal) RETURNS @extschema@.control
    AS 'MODULE_PATHNAME', 'woes_control_recv' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE FUNCTION @extschema@.control_send(@extschema@.control) RETURNS bytea
    AS 'MODULE_PATHNAME', 'woes_control_send' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
CREATE TYPE @extschema@.control (
    INPUT = @extschema@.control_in, OUTPUT = @extschema@.control_out,
    RECEIVE = @extschema@.control_recv, SEND = @extschema@.control_send,
    INTERNALLENGTH = 1, PASSEDBYVALUE, ALIGNMENT = char, STORAGE = plain,
    CATEGORY = 'E'
);
COMMENT ON TYPE @extschema@.control IS
    'Who answers a conversation: automation, handoff_requested (automation stopped), operator';
COMMENT ON FUNCTION @extschema@.control_in(cstring) IS 'input of woes.control';
COMMENT ON FUNCTION @extschema@.control_out(@extschema@.control) IS 'output of woes.control';
COMMENT ON FUNCTION @extschema@.control_recv(internal) IS 'binary input of woes.control (the label text)';
COMMENT ON FUNCTION @extschema@.control_send(@extschema@.control) IS 'binary output of woes.control (the label text)';
CREATE FUNCTION @extschema@.control_eq(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_eq' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_eq(@extschema@.control, @extschema@.control) IS 'equal (woes.control order)';
CREATE FUNCTION @extschema@.control_ne(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ne' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_ne(@extschema@.control, @extschema@.control) IS 'not equal (woes.control order)';
CREATE FUNCTION @extschema@.control_lt(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_lt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_lt(@extschema@.control, @extschema@.control) IS 'less than (woes.control order)';
CREATE FUNCTION @extschema@.control_le(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_le' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_le(@extschema@.control, @extschema@.control) IS 'less or equal (woes.control order)';
CREATE FUNCTION @extschema@.control_gt(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_gt' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_gt(@extschema@.control, @extschema@.control) IS 'greater than (woes.control order)';
CREATE FUNCTION @extschema@.control_ge(@extschema@.control, @extschema@.control) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_enum_ge' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_ge(@extschema@.control, @extschema@.control) IS 'greater or equal (woes.control order)';
CREATE FUNCTION @extschema@.control_cmp(@extschema@.control, @extschema@.control) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_cmp' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_cmp(@extschema@.control, @extschema@.control) IS 'btree comparison of woes.control';
CREATE FUNCTION @extschema@.control_hash(@extschema@.control) RETURNS integer
    AS 'MODULE_PATHNAME', 'woes_enum_hash' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_hash(@extschema@.control) IS 'hash of woes.control';
CREATE FUNCTION @extschema@.control_hash_extended(@extschema@.control, bigint) RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_enum_hash_extended' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.control_hash_extended(@extschema@.control, bigint) IS 'seeded hash of woes.control';
CREATE OPERATOR @extschema@.= (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_eq,
    COMMUTATOR = OPERATOR(@extschema@.=), NEGATOR = OPERATOR(@extschema@.<>),
    RESTRICT = eqsel, JOIN = eqjoinsel,
    HASHES, MERGES
);
COMMENT ON OPERATOR @extschema@.= (@extschema@.control, @extschema@.control) IS 'equal (woes.control order)';
CREATE OPERATOR @extschema@.<> (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_ne,
    COMMUTATOR = OPERATOR(@extschema@.<>), NEGATOR = OPERATOR(@extschema@.=),
    RESTRICT = neqsel, JOIN = neqjoinsel
);
COMMENT ON OPERATOR @extschema@.<> (@extschema@.control, @extschema@.control) IS 'not equal (woes.control order)';
CREATE OPERATOR @extschema@.< (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_lt,
    COMMUTATOR = OPERATOR(@extschema@.>), NEGATOR = OPERATOR(@extschema@.>=),
    RESTRICT = scalarltsel, JOIN = scalarltjoinsel
);
COMMENT ON OPERATOR @extschema@.< (@extschema@.control, @extschema@.control) IS 'less than (woes.control order)';
CREATE OPERATOR @extschema@.<= (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_le,
    COMMUTATOR = OPERATOR(@extschema@.>=), NEGATOR = OPERATOR(@extschema@.>),
    RESTRICT = scalarlesel, JOIN = scalarlejoinsel
);
COMMENT ON OPERATOR @extschema@.<= (@extschema@.control, @extschema@.control) IS 'less or equal (woes.control order)';
CREATE OPERATOR @extschema@.> (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_gt,
    COMMUTATOR = OPERATOR(@extschema@.<), NEGATOR = OPERATOR(@extschema@.<=),
    RESTRICT = scalargtsel, JOIN = scalargtjoinsel
);
COMMENT ON OPERATOR @extschema@.> (@extschema@.control, @extschema@.control) IS 'greater than (woes.control order)';
CREATE OPERATOR @extschema@.>= (
    LEFTARG = @extschema@.control, RIGHTARG = @extschema@.control, FUNCTION = @extschema@.control_ge,
    COMMUTATOR = OPERATOR(@extschema@.<=), NEGATOR = OPERATOR(@extschema@.<),
    RESTRICT = scalargesel, JOIN = scalargejoinsel
);
COMMENT ON OPERATOR @extschema@.>= (@extschema@.control, @extschema@.control) IS 'greater or equal (woes.control order)';
CREATE OPERATOR CLASS @extschema@.control_ops DEFAULT FOR TYPE @extschema@.control USING btree AS
    OPERATOR 1 @extschema@.< , OPERATOR 2 @extschema@.<= , OPERATOR 3 @extschema@.= ,
    OPERATOR 4 @extschema@.>= , OPERATOR 5 @extschema@.> ,
    FUNCTION 1 @extschema@.control_cmp(@extschema@.control, @extschema@.control);
COMMENT ON OPERATOR CLASS @extschema@.control_ops USING btree IS 'default btree order of woes.control';
CREATE OPERATOR CLASS @extschema@.control_hash_ops DEFAULT FOR TYPE @extschema@.control USING hash AS
    OPERATOR 1 @extschema@.= ,
    FUNCTION 1 @extschema@.control_hash(@extschema@.control),
    FUNCTION 2 @extschema@.control_hash_extended(@extschema@.control, bigint);
COMMENT ON OPERATOR CLASS @extschema@.control_hash_ops USING hash IS 'default hash opclass of woes.control';
CREATE CAST (@extschema@.control AS text) WITH INOUT AS ASSIGNMENT;
CREATE CAST (text AS @extschema@.control) WITH INOUT;

--------------------------------------------------------------------------
-- Visibility (src/visibility.c): the audience matrix as one predicate.
--------------------------------------------------------------------------
CREATE FUNCTION @extschema@.can_see(audience @extschema@.audience, visibility @extschema@.visibility,
                                    own boolean DEFAULT false)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_can_see'
    LANGUAGE C IMMUTABLE PARALLEL SAFE LEAKPROOF;
-- not STRICT: NULLs (no context, no actor) mean "no", never NULL
COMMENT ON FUNCTION @extschema@.can_see(@extschema@.audience, @extschema@.visibility, boolean) IS
    'Whether an audience may see a message of this visibility (own: written by the acting agent); customers public only, agents public and their own, operators and admins all, analysts none';

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

CREATE FUNCTION @extschema@.clear_context() RETURNS void
    AS 'MODULE_PATHNAME', 'woes_clear_context'
    LANGUAGE C VOLATILE PARALLEL UNSAFE;
COMMENT ON FUNCTION @extschema@.clear_context() IS
    'Act for no workspace until the end of the transaction: nothing is visible and every write fails';

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

-- Internal: refuse a call outside the given audiences, with the reason.
CREATE FUNCTION @extschema@.require_audience(allowed @extschema@.audience[], action text)
    RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a @extschema@.audience := @extschema@.current_audience();
BEGIN
    IF a IS NULL OR @extschema@.current_workspace() IS NULL THEN
        RAISE EXCEPTION 'no woes context is set'
            USING ERRCODE = 'WO001',
                  HINT = 'Call woes.set_context(workspace, audience, actor) in this transaction first.';
    END IF;
    IF NOT (a OPERATOR(@extschema@.=) ANY (allowed)) THEN
        RAISE EXCEPTION '% is not allowed in the % audience', action, a
            USING ERRCODE = 'WO003',
                  HINT = format('Allowed audiences: %s.', array_to_string(allowed, ', '));
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_audience(@extschema@.audience[], text) IS
    'Internal: raise WO001 without a context, WO003 when the current audience is not one of allowed';

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

--------------------------------------------------------------------------
-- Row-level security.
--
-- Every table: RLS enabled and forced (the owner too), and a statement
-- trigger that refuses writes without a context.  Every workspace table: a
-- RESTRICTIVE isolation policy (so no permissive policy added later can
-- widen it), a row trigger freezing its key columns, and registration for
-- pg_dump.  These are applied by one loop over the catalog, so a new table
-- cannot be forgotten; woes.doctor() and the pgTAP suite check the result.
--
-- Audience rules are PERMISSIVE policies, written out per table below.
-- Policies read only the context (no subquery, no table lookup): Citus
-- accepts them, and they cost one call per row at most, or one per scan
-- where the workspace test is an index condition.
--------------------------------------------------------------------------

-- Conversation numbers: bump the workspace's counter under its row lock.
-- The lock serialises conversation creation per workspace until commit, and
-- a rollback undoes the bump, so numbers have no gaps and no duplicates.
CREATE FUNCTION @extschema@.allocate_conversation_number() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- a restore keeps the dumped numbers; the dumped counter comes with the
    -- workspace row (see woes.restoring() for what counts as a restore)
    IF NEW.number IS NOT NULL AND @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never touch (or lock) another workspace's counter: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    UPDATE @extschema@.workspaces
       SET last_conversation_number = last_conversation_number + 1
     WHERE id OPERATOR(pg_catalog.=) NEW.workspace_id
    RETURNING last_conversation_number INTO NEW.number;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.allocate_conversation_number() IS
    'Internal trigger: gives a new conversation the next gap-free number of its workspace';

CREATE TRIGGER allocate_number BEFORE INSERT ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.allocate_conversation_number();

DO $$
DECLARE
    t       record;
    frozen  text[];
    key     text;
BEGIN
    FOR t IN
        SELECT c.oid, c.relname
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace OPERATOR(pg_catalog.=) '@extschema@'::regnamespace
           AND c.relkind OPERATOR(pg_catalog.=) 'r'
         ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE @extschema@.%I ENABLE ROW LEVEL SECURITY', t.relname);
        EXECUTE format('ALTER TABLE @extschema@.%I FORCE ROW LEVEL SECURITY', t.relname);

        IF t.relname = 'channels' THEN
            -- global lookup data: readable by all, written by the owner only
            CREATE POLICY channels_read ON @extschema@.channels FOR SELECT USING (true);
            PERFORM pg_catalog.pg_extension_config_dump('@extschema@.channels', 'WHERE NOT builtin');
            CONTINUE;
        END IF;

        key := CASE t.relname WHEN 'workspaces' THEN 'id' ELSE 'workspace_id' END;
        EXECUTE format(
            'CREATE POLICY workspace_isolation ON @extschema@.%I AS RESTRICTIVE FOR ALL'
            ' USING (%I OPERATOR(pg_catalog.=) @extschema@.current_workspace())'
            ' WITH CHECK (@extschema@.in_workspace(%I))', t.relname, key, key);
        EXECUTE format(
            'COMMENT ON POLICY workspace_isolation ON @extschema@.%I IS %L', t.relname,
            'Restrictive: only rows of the context''s workspace are visible or writable');

        -- workspaces are created by woes.create_workspace() without a context
        EXECUTE format(
            'CREATE TRIGGER require_context BEFORE %s ON @extschema@.%I'
            ' FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_context()',
            CASE t.relname WHEN 'workspaces' THEN 'UPDATE OR DELETE'
                           ELSE 'INSERT OR UPDATE OR DELETE' END,
            t.relname);

        -- frozen: the primary key, created_at, (conversations) number and
        -- (messages) authorship
        SELECT pg_catalog.array_agg(a.attname ORDER BY a.attnum) INTO frozen
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND NOT a.attisdropped
           AND (a.attnum OPERATOR(pg_catalog.=) ANY (
                    SELECT pg_catalog.unnest(conkey) FROM pg_catalog.pg_constraint
                     WHERE conrelid OPERATOR(pg_catalog.=) t.oid
                       AND contype OPERATOR(pg_catalog.=) 'p')
                OR a.attname OPERATOR(pg_catalog.=) ANY ('{created_at,number,author_kind,author_id}'));
        EXECUTE format(
            'CREATE TRIGGER guard_update BEFORE UPDATE ON @extschema@.%I'
            ' FOR EACH ROW EXECUTE FUNCTION @extschema@.guard_update(%s)',
            t.relname,
            (SELECT pg_catalog.string_agg(pg_catalog.quote_literal(f), ', ') FROM pg_catalog.unnest(frozen) f));

        -- ids: made by woes, never by the writer (woes.assign_id); named to
        -- fire before every other BEFORE INSERT trigger, so they see the id
        IF EXISTS (SELECT FROM pg_catalog.pg_attribute a
                    WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attname OPERATOR(pg_catalog.=) 'id'
                      AND a.atttypid OPERATOR(pg_catalog.=) 'pg_catalog.uuid'::pg_catalog.regtype) THEN
            EXECUTE format(
                'CREATE TRIGGER _assign_id BEFORE INSERT ON @extschema@.%I'
                ' FOR EACH ROW EXECUTE FUNCTION @extschema@.assign_id()', t.relname);
        END IF;

        -- free text stays out of the planner's value statistics: text
        -- equality is leakproof, so with most-common values of every
        -- workspace in pg_statistic, EXPLAIN's estimate for a guessed text
        -- would tell whether another workspace wrote it.  Every text, jsonb
        -- and array column is free text except the few that hold one of a
        -- fixed set of names (channel, kinds).
        FOR key IN
            SELECT a.attname FROM pg_catalog.pg_attribute a
             WHERE a.attrelid OPERATOR(pg_catalog.=) t.oid AND a.attnum OPERATOR(pg_catalog.>) 0
               AND NOT a.attisdropped
               AND (a.atttypid OPERATOR(pg_catalog.=) ANY ('{text,jsonb,json}'::pg_catalog.regtype[])
                    OR (SELECT ty.typcategory FROM pg_catalog.pg_type ty
                         WHERE ty.oid OPERATOR(pg_catalog.=) a.atttypid) OPERATOR(pg_catalog.=) 'A')
               AND NOT a.attname OPERATOR(pg_catalog.=) ANY ('{channel,channels,kind,author_kind,actor_kind}')
        LOOP
            EXECUTE format('ALTER TABLE @extschema@.%I ALTER COLUMN %I SET STATISTICS 0', t.relname, key);
        END LOOP;

        PERFORM pg_catalog.pg_extension_config_dump(t.oid::regclass, '');
        -- and the sequences its columns draw from (identity and serial)
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

-- The audience rules.  Shorthands used below:
--   A := @extschema@.current_audience(), actor := @extschema@.current_actor()

-- workspaces: everyone in the workspace reads it; admins rename/configure it
CREATE POLICY workspaces_read ON @extschema@.workspaces FOR SELECT
    USING (@extschema@.current_audience() IS NOT NULL);
CREATE POLICY workspaces_admin_update ON @extschema@.workspaces FOR UPDATE
    USING (@extschema@.in_audience('{admin}'));

-- contacts and identities: a customer sees itself; staff see everyone
CREATE POLICY contacts_customer_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY contacts_staff_read ON @extschema@.contacts FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY contacts_staff_insert ON @extschema@.contacts FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY contacts_staff_update ON @extschema@.contacts FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY contacts_admin_delete ON @extschema@.contacts FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

CREATE POLICY identities_customer_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY identities_staff_read ON @extschema@.identities FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY identities_staff_insert ON @extschema@.identities FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY identities_staff_update ON @extschema@.identities FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY identities_admin_delete ON @extschema@.identities FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- the people and bots of a workspace: staff and analysts read, operators and
-- admins maintain, admins delete
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['operators', 'teams', 'team_members', 'agents'] LOOP
        EXECUTE format($p$
            CREATE POLICY %1$s_read ON @extschema@.%1$I FOR SELECT
                USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
            CREATE POLICY %1$s_staff_insert ON @extschema@.%1$I FOR INSERT
                WITH CHECK (@extschema@.in_audience('{operator,admin}'));
            CREATE POLICY %1$s_staff_update ON @extschema@.%1$I FOR UPDATE
                USING (@extschema@.in_audience('{operator,admin}'));
            CREATE POLICY %1$s_admin_delete ON @extschema@.%1$I FOR DELETE
                USING (@extschema@.in_audience('{admin}'));
            $p$, t);
    END LOOP;
END;
$$;

-- conversations: a customer sees and starts its own; staff and analysts see
-- all; agents and operators work them; only admins delete
CREATE POLICY conversations_customer_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{customer}')
           AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY conversations_staff_read ON @extschema@.conversations FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
CREATE POLICY conversations_customer_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY conversations_staff_insert ON @extschema@.conversations FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY conversations_staff_update ON @extschema@.conversations FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY conversations_admin_delete ON @extschema@.conversations FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- participants: staff only
CREATE POLICY participants_staff_read ON @extschema@.participants FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_staff_insert ON @extschema@.participants FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_staff_update ON @extschema@.participants FOR UPDATE
    USING (@extschema@.in_audience('{agent,operator,admin}'));
CREATE POLICY participants_admin_delete ON @extschema@.participants FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- messages: the visibility matrix.  A customer reads the public messages of
-- its own conversations; an agent reads public messages and what it wrote
-- itself; operators and admins read everything; analysts read no bodies.
CREATE POLICY messages_read ON @extschema@.messages FOR SELECT
    USING (@extschema@.can_see(@extschema@.current_audience(), visibility,
                               author_id OPERATOR(pg_catalog.=) @extschema@.current_actor())
           AND (@extschema@.in_audience('{agent,operator,analyst,admin}')
                OR contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
CREATE POLICY messages_customer_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND author_kind OPERATOR(pg_catalog.=) 'customer'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()
                AND visibility OPERATOR(@extschema@.=) 'public');
CREATE POLICY messages_agent_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{agent}')
                AND author_kind OPERATOR(pg_catalog.=) 'agent'
                AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
CREATE POLICY messages_staff_insert ON @extschema@.messages FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY messages_staff_update ON @extschema@.messages FOR UPDATE
    USING (@extschema@.in_audience('{operator,admin}'));
CREATE POLICY messages_admin_delete ON @extschema@.messages FOR DELETE
    USING (@extschema@.in_audience('{admin}'));

-- role bindings: admins read them; woes.bind_role() writes them
CREATE POLICY role_bindings_admin_read ON @extschema@.role_bindings FOR SELECT
    USING (@extschema@.in_audience('{admin}'));

--------------------------------------------------------------------------
-- The conversation lifecycle (src/lifecycle.c).
--
--   from \ to | open | pending | snoozed   | resolved | closed
--   open      |  -   |  yes    |  yes      |  yes     |  yes
--   pending   | yes  |   -     |  yes      |  yes     |  yes
--   snoozed   | yes  |  yes    | re-snooze |  yes     |  yes
--   resolved  | yes  |  no     |  no       |   -      |  yes
--   closed    |  no  |  no     |  no       |  no      |   -   (final)
--
-- The table lives in C, in one place; the lifecycle trigger holds every
-- write path to it (the API and a raw UPDATE alike) and records history.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.can_transition("from" @extschema@.status, "to" @extschema@.status)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_can_transition'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE LEAKPROOF;
COMMENT ON FUNCTION @extschema@.can_transition(@extschema@.status, @extschema@.status) IS
    'Whether the lifecycle allows a status change from one status to another (snoozed to snoozed is a re-snooze)';

CREATE FUNCTION @extschema@.next_statuses(status @extschema@.status)
    RETURNS @extschema@.status[]
    AS 'MODULE_PATHNAME', 'woes_next_statuses'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.next_statuses(@extschema@.status) IS
    'The statuses a conversation can move to from this one, in lifecycle order';

CREATE FUNCTION @extschema@.lifecycle() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_lifecycle_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.lifecycle() IS
    'Internal trigger: enforces the status and control rules on every write, and records status_events, handoff_events and outbox events';

-- named to sort after allocate_number and guard_update: BEFORE triggers
-- fire in name order, and this one writes history, so it must be last
CREATE TRIGGER lifecycle BEFORE INSERT OR UPDATE OF status, snoozed_until, control, controller_id
    ON @extschema@.conversations
    FOR EACH ROW EXECUTE FUNCTION @extschema@.lifecycle();

CREATE FUNCTION @extschema@.message_intake() RETURNS trigger
    AS 'MODULE_PATHNAME', 'woes_message_intake_trigger'
    LANGUAGE C;
COMMENT ON FUNCTION @extschema@.message_intake() IS
    'Internal trigger: ties a new message to its conversation and makes the automatic moves of a customer message';

CREATE TRIGGER message_intake BEFORE INSERT ON @extschema@.messages
    FOR EACH ROW EXECUTE FUNCTION @extschema@.message_intake();

-- history: staff and analysts read it; nobody writes it but the trigger
CREATE POLICY status_events_read ON @extschema@.status_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));

-- The status API is C (lifecycle.c): one compare-and-set UPDATE as the
-- caller, with a kept plan; the lifecycle trigger judges and records it.
CREATE FUNCTION @extschema@.transition(conversation uuid, to_status @extschema@.status,
                                       reason text DEFAULT NULL, snooze_until timestamptz DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_transition'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.transition(uuid, @extschema@.status, text, timestamptz) IS
    'Move a conversation to another status (with a reason; snooze_until for snoozed); false if it already was there';

CREATE FUNCTION @extschema@.resolve(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_resolve'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.resolve(uuid, text) IS 'Resolve a conversation; false if it already was';

CREATE FUNCTION @extschema@.reopen(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_reopen'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.reopen(uuid, text) IS 'Reopen a conversation; false if it already was open';

CREATE FUNCTION @extschema@.close(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_close'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.close(uuid, text) IS 'Close a conversation for good; false if it already was';

CREATE FUNCTION @extschema@.set_pending(conversation uuid, reason text DEFAULT NULL) RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_set_pending'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.set_pending(uuid, text) IS
    'Mark a conversation as waiting for the customer; false if it already was';

CREATE FUNCTION @extschema@.snooze(conversation uuid, until timestamptz, reason text DEFAULT NULL)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'woes_snooze'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.snooze(uuid, timestamptz, text) IS
    'Snooze a conversation until a future time (again, to move the time); false if already snoozed until then';

CREATE FUNCTION @extschema@.wake_snoozed("at" timestamptz DEFAULT now()) RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET woes.reason = 'snooze_expired'
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
    ws    uuid;
    n     integer := 0;
    k     integer;
BEGIN
    IF wake_snoozed."at" IS NULL THEN
        RAISE EXCEPTION 'at must not be null' USING ERRCODE = 'WO007';
    END IF;
    FOR ws IN
        SELECT DISTINCT c.workspace_id FROM @extschema@.conversations c
         WHERE c.status OPERATOR(@extschema@.=) 'snoozed'
           AND c.snoozed_until OPERATOR(pg_catalog.<=) wake_snoozed."at"
           AND (saved_workspace OPERATOR(pg_catalog.=) ''
                OR c.workspace_id OPERATOR(pg_catalog.=) saved_workspace::uuid)
    LOOP
        -- the wake-up acts as the system (no actor) in that workspace
        PERFORM pg_catalog.set_config('woes.workspace', ws::text, true),
                pg_catalog.set_config('woes.audience', 'operator', true),
                pg_catalog.set_config('woes.actor', '', true);
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
    PERFORM pg_catalog.set_config('woes.workspace', saved_workspace, true),
            pg_catalog.set_config('woes.audience', saved_audience, true),
            pg_catalog.set_config('woes.actor', saved_actor, true);
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.wake_snoozed(timestamptz) IS
    'Reopen every conversation whose snooze is due at the given time (reason snooze_expired); safe to run concurrently, made for a pg_cron job; returns how many';

--------------------------------------------------------------------------
-- The API: verbs in schema woes.  They run as the caller (SECURITY
-- INVOKER), so row-level security applies to everything they touch; each
-- checks the audience first to give a clear error instead of an opaque RLS
-- refusal.  The few that run as the owner, and why, are listed in the
-- README (Security Model).
--------------------------------------------------------------------------

-- Internal: the channel must exist; otherwise WO007 listing the known ones.
CREATE FUNCTION @extschema@.require_channel(channel text) RETURNS void
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF channel IS NULL OR NOT EXISTS (
        SELECT FROM @extschema@.channels c WHERE c.name OPERATOR(pg_catalog.=) require_channel.channel)
    THEN
        RAISE EXCEPTION 'unknown channel "%"', channel
            USING ERRCODE = 'WO007',
                  HINT = (SELECT format('Known channels: %s.', string_agg(c.name, ', ' ORDER BY c.name))
                            FROM @extschema@.channels c);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_channel(text) IS
    'Internal: raise WO007 unless the channel exists';

CREATE FUNCTION @extschema@.create_workspace(slug text, name text) RETURNS uuid
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
    INSERT INTO @extschema@.workspaces (slug, name)
    VALUES (create_workspace.slug, create_workspace.name)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'workspace slug "%" is taken', create_workspace.slug
            USING ERRCODE = 'WO008', HINT = 'Choose another slug.';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.create_workspace(text, text) IS
    'Create a tenant workspace and return its id (woes_service, woes_admin); no context needed';

CREATE FUNCTION @extschema@.add_operator(name text, email text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding an operator');
    IF add_operator.name IS NULL OR length(add_operator.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid operator name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    IF add_operator.email IS NULL OR add_operator.email !~ '^[^@\s]+@[^@\s]+$' OR length(add_operator.email) > 320 THEN
        RAISE EXCEPTION 'invalid operator email' USING ERRCODE = 'WO007', HINT = 'Give an address like name@example.com.';
    END IF;
    INSERT INTO @extschema@.operators (name, email)
    VALUES (add_operator.name, add_operator.email)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'an operator with this email already exists in the workspace'
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_operator(text, text) IS
    'Add an operator (a person who answers) to the current workspace; operator or admin audience';

CREATE FUNCTION @extschema@.add_team(name text) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team');
    IF add_team.name IS NULL OR length(add_team.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid team name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    INSERT INTO @extschema@.teams (name) VALUES (add_team.name)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'a team named "%" already exists in the workspace', add_team.name
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_team(text) IS
    'Add a team to the current workspace; operator or admin audience';

CREATE FUNCTION @extschema@.add_team_member(team uuid, operator uuid) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    member_id uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding a team member');
    -- every lookup names the workspace too: row-level security scopes them
    -- already, except for callers that bypass it (superusers)
    IF NOT EXISTS (SELECT FROM @extschema@.teams t
                    WHERE t.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
                      AND t.id OPERATOR(pg_catalog.=) add_team_member.team) THEN
        RAISE EXCEPTION 'team % not found in this workspace', add_team_member.team USING ERRCODE = 'WO005';
    END IF;
    IF NOT EXISTS (SELECT FROM @extschema@.operators o
                    WHERE o.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
                      AND o.id OPERATOR(pg_catalog.=) add_team_member.operator) THEN
        RAISE EXCEPTION 'operator % not found in this workspace', add_team_member.operator USING ERRCODE = 'WO005';
    END IF;
    INSERT INTO @extschema@.team_members (team_id, operator_id)
    VALUES (add_team_member.team, add_team_member.operator)
    ON CONFLICT DO NOTHING
    RETURNING id INTO member_id;
    IF member_id IS NULL THEN       -- already a member: idempotent
        SELECT m.id INTO member_id FROM @extschema@.team_members m
         WHERE m.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND m.team_id OPERATOR(pg_catalog.=) add_team_member.team
           AND m.operator_id OPERATOR(pg_catalog.=) add_team_member.operator;
    END IF;
    RETURN member_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_team_member(uuid, uuid) IS
    'Put an operator in a team and return the membership id (the same id again if already a member)';

CREATE FUNCTION @extschema@.add_agent(name text, channels text[] DEFAULT NULL) RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    new_id uuid;
    ch text;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'adding an agent');
    IF add_agent.name IS NULL OR length(add_agent.name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'invalid agent name' USING ERRCODE = 'WO007', HINT = 'A name is 1 to 200 characters.';
    END IF;
    IF add_agent.channels IS NOT NULL THEN
        IF cardinality(add_agent.channels) = 0 THEN
            RAISE EXCEPTION 'an agent must serve at least one channel'
                USING ERRCODE = 'WO007', HINT = 'Pass NULL to serve every channel.';
        END IF;
        FOREACH ch IN ARRAY add_agent.channels LOOP
            PERFORM @extschema@.require_channel(ch);
        END LOOP;
    END IF;
    INSERT INTO @extschema@.agents (name, channels) VALUES (add_agent.name, add_agent.channels)
    ON CONFLICT DO NOTHING
    RETURNING id INTO new_id;
    IF new_id IS NULL THEN
        RAISE EXCEPTION 'an agent named "%" already exists in the workspace', add_agent.name
            USING ERRCODE = 'WO008';
    END IF;
    RETURN new_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.add_agent(text, text[]) IS
    'Add an AI agent or bot; channels limits what it serves (NULL: every channel); operator or admin audience';

CREATE FUNCTION @extschema@.upsert_contact(channel text, external_id text,
                                           name text DEFAULT NULL, email text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
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
        pg_catalog.concat_ws(' ', @extschema@.current_workspace(), upsert_contact.channel,
                             upsert_contact.external_id), 0));
    SELECT i.contact_id INTO found_id FROM @extschema@.identities i
     WHERE i.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
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
         WHERE c.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND c.id OPERATOR(pg_catalog.=) found_id
           AND c.erased_at IS NULL
           AND (c.name IS DISTINCT FROM coalesce(upsert_contact.name, c.name)
                OR c.email IS DISTINCT FROM coalesce(upsert_contact.email, c.email));
    END IF;
    RETURN found_id;
END;
$$;
COMMENT ON FUNCTION @extschema@.upsert_contact(text, text, text, text) IS
    'Find the contact known on channel by external_id, or create it; returns the contact id (operator or admin audience)';

--------------------------------------------------------------------------
-- Messages: intake from channels, replies and notes, redaction, and the
-- per-audience views.  What each audience may read is decided by the
-- policies (woes.can_see), so the views add shape, not security.
--------------------------------------------------------------------------

-- Email threading: the keys of an email are the Message-IDs in its
-- In-Reply-To and References headers (pass them as thread_ref, in any
-- order, with or without the angle brackets of a single id).
CREATE FUNCTION @extschema@.email_thread_keys(thread_ref text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
RETURN (
    SELECT CASE
        WHEN count(*) > 0 THEN array_agg(m[1] ORDER BY ord)
        WHEN btrim(thread_ref, ' <>') <> '' THEN ARRAY[btrim(thread_ref, ' <>')]
        ELSE '{}'::text[] END
      FROM regexp_matches(thread_ref, '<([^<>[:space:]]+)>', 'g') WITH ORDINALITY AS r(m, ord)
);
COMMENT ON FUNCTION @extschema@.email_thread_keys(text) IS
    'Thread keys of an email: the Message-IDs found in In-Reply-To / References (angle brackets stripped)';

UPDATE @extschema@.channels SET thread_keys = '@extschema@.email_thread_keys(text)'::regprocedure
 WHERE name = 'email';

-- Internal: a channel's thread keys for a reference (its thread_keys
-- function, or the reference itself as the one key).
CREATE FUNCTION @extschema@.thread_keys(channel text, thread_ref text) RETURNS text[]
    LANGUAGE plpgsql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    fn regprocedure;
    keys text[];
BEGIN
    SELECT c.thread_keys INTO fn FROM @extschema@.channels c
     WHERE c.name OPERATOR(pg_catalog.=) thread_keys.channel;
    IF fn IS NULL THEN
        keys := ARRAY[btrim(thread_ref)];
    ELSE
        EXECUTE format('SELECT %s($1)', fn::regproc) INTO keys USING thread_ref;
    END IF;
    RETURN array_remove(keys, '');
END;
$$;
COMMENT ON FUNCTION @extschema@.thread_keys(text, text) IS
    'Internal: the thread keys of a channel''s thread reference';

-- Internal: the length and presence checks every writing function shares.
CREATE FUNCTION @extschema@.require_text(value text, what text, max_length integer) RETURNS void
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF value IS NULL OR length(value) = 0 OR length(value) > max_length THEN
        RAISE EXCEPTION 'invalid %', what
            USING ERRCODE = 'WO007', HINT = format('%s is 1 to %s characters.', initcap(what), max_length);
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_text(text, text, integer) IS
    'Internal: raise WO007 unless value is 1 to max_length characters';

-- Intake is C (intake.c): the same steps with kept plans, and the writes a
-- message into a known thread does not need (participant, thread keys,
-- contact) skipped when nothing is missing.
CREATE FUNCTION @extschema@.receive_message(channel text, thread_ref text, sender_external_id text,
                                            body text, external_message_id text,
                                            sender_name text DEFAULT NULL,
                                            sent_at timestamptz DEFAULT now())
    RETURNS uuid
    AS 'MODULE_PATHNAME', 'woes_receive_message'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.receive_message(text, text, text, text, text, text, timestamptz) IS
    'Intake of a customer message from a channel: finds or creates identity, contact and conversation by the thread reference, appends the message; idempotent on (channel, external_message_id); returns the message id';

CREATE FUNCTION @extschema@.start_conversation(contact uuid, channel text, subject text DEFAULT NULL,
                                               body text DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a    @extschema@.audience := @extschema@.current_audience();
    conv uuid;
BEGIN
    PERFORM @extschema@.require_audience('{customer,operator,admin}', 'starting a conversation');
    PERFORM @extschema@.require_channel(start_conversation.channel);
    IF start_conversation.contact IS NULL
       OR (a OPERATOR(@extschema@.=) 'customer'
           AND start_conversation.contact OPERATOR(pg_catalog.<>) @extschema@.current_actor())
       OR NOT EXISTS (SELECT FROM @extschema@.contacts c WHERE c.id OPERATOR(pg_catalog.=) start_conversation.contact)
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
COMMENT ON FUNCTION @extschema@.start_conversation(uuid, text, text, text) IS
    'Start a conversation for a contact (a customer for itself; an operator or the backend for anyone), with an optional first message; returns its id';

CREATE FUNCTION @extschema@.reply(conversation uuid, body text,
                                  visibility @extschema@.visibility DEFAULT 'public',
                                  grounding jsonb DEFAULT NULL, trace jsonb DEFAULT NULL)
    RETURNS uuid
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    a     @extschema@.audience := @extschema@.current_audience();
    actor uuid := @extschema@.current_actor();
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
    INSERT INTO @extschema@.messages (conversation_id, author_kind, author_id, visibility, body, grounding, channel)
    VALUES (reply.conversation,
            CASE WHEN a OPERATOR(@extschema@.=) 'agent' THEN 'agent'
                 WHEN actor IS NULL THEN 'system' ELSE 'operator' END,
            actor, reply.visibility, reply.body, reply.grounding,
            (SELECT c.channel FROM @extschema@.conversations c WHERE c.id OPERATOR(pg_catalog.=) reply.conversation))
    RETURNING id INTO msg;
    IF reply.trace IS NOT NULL THEN
        INSERT INTO @extschema@.message_traces (message_id, author_id, trace)
        VALUES (msg, actor, reply.trace);
    END IF;
    RETURN msg;
END;
$$;
COMMENT ON FUNCTION @extschema@.reply(uuid, text, @extschema@.visibility, jsonb, jsonb) IS
    'Write in a conversation as the context''s operator or agent: public (to the customer), internal (a note) or debug; an agent''s answer may carry grounding (sources) and trace (diagnostics, never shown to customers)';

CREATE FUNCTION @extschema@.add_note(conversation uuid, body text) RETURNS uuid
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    RETURN @extschema@.reply(conversation, body, 'internal');
COMMENT ON FUNCTION @extschema@.add_note(uuid, text) IS
    'A private note (internal: operators see it, customers never); from an agent it is a suggestion for the operator';

CREATE FUNCTION @extschema@.redact_message(message uuid, reason text) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'redacting a message');
    PERFORM @extschema@.require_text(redact_message.reason, 'reason', 1000);
    -- a redacted message is final (the guard refuses any later change), so
    -- redacting it again is a no-op that keeps the first record
    UPDATE @extschema@.messages m
       SET body = NULL, attachments = '[]', grounding = NULL,
           redacted_at = now(), redacted_by = @extschema@.current_actor(),
           redaction_reason = redact_message.reason
     WHERE m.id OPERATOR(pg_catalog.=) redact_message.message
       AND m.redacted_at IS NULL;
    IF NOT FOUND AND NOT EXISTS (SELECT FROM @extschema@.messages m
                                  WHERE m.id OPERATOR(pg_catalog.=) redact_message.message) THEN
        RAISE EXCEPTION 'message % not found in this workspace', redact_message.message USING ERRCODE = 'WO005';
    END IF;
    DELETE FROM @extschema@.message_traces t WHERE t.message_id OPERATOR(pg_catalog.=) redact_message.message;
END;
$$;
COMMENT ON FUNCTION @extschema@.redact_message(uuid, text) IS
    'Remove a message''s content (body, attachments, grounding, trace) and keep that it existed: who wrote it, when, who redacted it and why';

CREATE FUNCTION @extschema@.erase_contact(contact uuid) RETURNS void
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    m uuid;
BEGIN
    PERFORM @extschema@.require_audience('{operator,admin}', 'erasing a contact');
    IF NOT EXISTS (SELECT FROM @extschema@.contacts c WHERE c.id OPERATOR(pg_catalog.=) erase_contact.contact) THEN
        RAISE EXCEPTION 'contact % not found in this workspace', erase_contact.contact USING ERRCODE = 'WO005';
    END IF;
    FOR m IN SELECT x.id FROM @extschema@.messages x
              WHERE x.author_kind OPERATOR(pg_catalog.=) 'customer'
                AND x.author_id OPERATOR(pg_catalog.=) erase_contact.contact
                AND x.redacted_at IS NULL
    LOOP
        PERFORM @extschema@.redact_message(m, 'contact erased');
    END LOOP;
    UPDATE @extschema@.conversations c SET subject = NULL
     WHERE c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.thread_refs r USING @extschema@.conversations c
     WHERE c.workspace_id OPERATOR(pg_catalog.=) r.workspace_id AND c.id OPERATOR(pg_catalog.=) r.conversation_id
       AND c.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.participants p SET display_name = NULL
     WHERE p.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    DELETE FROM @extschema@.identities i WHERE i.contact_id OPERATOR(pg_catalog.=) erase_contact.contact;
    UPDATE @extschema@.contacts c
       SET name = NULL, email = NULL, metadata = '{}', erased_at = coalesce(c.erased_at, now())
     WHERE c.id OPERATOR(pg_catalog.=) erase_contact.contact;
END;
$$;
COMMENT ON FUNCTION @extschema@.erase_contact(uuid) IS
    'Right to erasure: redact everything a contact wrote, drop its identities and thread keys, blank its name, email and subjects; keep the record that it existed';

-- the intake uses identities' delete for erasure by operators too
DROP POLICY identities_admin_delete ON @extschema@.identities;
CREATE POLICY identities_staff_delete ON @extschema@.identities FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));

-- a customer starting its own conversation records itself as participant
CREATE POLICY participants_customer_insert ON @extschema@.participants FOR INSERT
    WITH CHECK (@extschema@.in_audience('{customer}')
                AND kind OPERATOR(pg_catalog.=) 'customer'
                AND contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor());

-- traces: never customers; agents their own; operators and admins all
CREATE POLICY message_traces_read ON @extschema@.message_traces FOR SELECT
    USING (@extschema@.can_see(@extschema@.current_audience(), 'debug',
                               author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
CREATE POLICY message_traces_insert ON @extschema@.message_traces FOR INSERT
    WITH CHECK (@extschema@.in_audience('{operator,admin}')
                OR (@extschema@.in_audience('{agent}')
                    AND author_id OPERATOR(pg_catalog.=) @extschema@.current_actor()));
CREATE POLICY message_traces_staff_delete ON @extschema@.message_traces FOR DELETE
    USING (@extschema@.in_audience('{operator,admin}'));

-- A trace's author_id is its message's author (the agents' "own traces"
-- rule reads it): filled in from the message, and a different one refused,
-- so no writer can name someone else, or someone of another workspace.
CREATE FUNCTION @extschema@.trace_author() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    author uuid;
BEGIN
    IF @extschema@.restoring() THEN
        RETURN NEW;
    END IF;
    -- never read (or reveal) another workspace's message: check first
    PERFORM @extschema@.in_workspace(NEW.workspace_id);
    SELECT m.author_id INTO author FROM @extschema@.messages m
     WHERE m.workspace_id OPERATOR(pg_catalog.=) NEW.workspace_id
       AND m.id OPERATOR(pg_catalog.=) NEW.message_id;
    -- (no message: the foreign key says so)
    IF NEW.author_id IS NOT NULL AND NEW.author_id IS DISTINCT FROM author THEN
        RAISE EXCEPTION 'author_id of a trace must be its message''s author'
            USING ERRCODE = 'WO007', HINT = 'Leave author_id out; it is filled in from the message.';
    END IF;
    NEW.author_id := author;
    RETURN NEW;
END;
$$;
COMMENT ON FUNCTION @extschema@.trace_author() IS
    'Internal trigger: a trace''s author_id is its message''s author (WO007 for any other)';
CREATE TRIGGER trace_author BEFORE INSERT OR UPDATE OF author_id ON @extschema@.message_traces
    FOR EACH ROW EXECUTE FUNCTION @extschema@.trace_author();

-- thread keys: the intake's business (operators, admins)
CREATE POLICY thread_refs_staff ON @extschema@.thread_refs FOR ALL
    USING (@extschema@.in_audience('{operator,admin}'));

--------------------------------------------------------------------------
-- Views per audience.  security_invoker: they run with the caller's
-- rights and policies (a default view would run as its owner and bypass
-- them).  Not security_barrier: the boundary is row-level security, whose
-- conditions PostgreSQL always applies before any condition of the caller
-- (a leaky function sees no row the policies hide), and each view's own
-- filter only repeats its audience's policy.  A barrier would add no
-- protection, and would stop "ORDER BY id DESC LIMIT 50" from reaching the
-- index (a customer's thread would be read whole and sorted).
--------------------------------------------------------------------------

CREATE VIEW @extschema@.customer_conversations WITH (security_invoker = true) AS
SELECT c.id, c.number, c.channel, c.subject,
       CASE WHEN c.status OPERATOR(@extschema@.=) ANY ('{open,snoozed}') THEN 'open'
            WHEN c.status OPERATOR(@extschema@.=) 'pending' THEN 'awaiting_customer'
            ELSE c.status::text END AS status,
       c.previous_conversation_id, c.created_at, c.last_message_at
  FROM @extschema@.conversations c
 WHERE c.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
COMMENT ON VIEW @extschema@.customer_conversations IS
    'A customer''s own conversations, with the status in the customer''s words (open, awaiting_customer, resolved, closed; a snooze shows as open)';

CREATE VIEW @extschema@.customer_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.body, m.attachments, m.created_at,
       m.redacted_at IS NOT NULL AS redacted
  FROM @extschema@.messages m
 WHERE m.visibility OPERATOR(@extschema@.=) 'public'
   AND m.contact_id OPERATOR(pg_catalog.=) @extschema@.current_actor();
COMMENT ON VIEW @extschema@.customer_messages IS
    'The public messages of a customer''s own conversations: no notes, no debug, no grounding, no trace';

CREATE VIEW @extschema@.agent_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding, t.trace, m.created_at, m.redacted_at
  FROM @extschema@.messages m
  LEFT JOIN @extschema@.message_traces t
    ON t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id AND t.message_id OPERATOR(pg_catalog.=) m.id
 WHERE @extschema@.can_see('agent', m.visibility, m.author_id OPERATOR(pg_catalog.=) @extschema@.current_actor());
COMMENT ON VIEW @extschema@.agent_messages IS
    'What an agent may read: public messages, and its own notes, debug messages and traces';

CREATE VIEW @extschema@.operator_messages WITH (security_invoker = true) AS
SELECT m.id, m.conversation_id, m.author_kind, m.author_id, m.visibility, m.body, m.attachments,
       m.grounding, t.trace, m.channel, m.external_id, m.created_at, m.edited_at,
       m.redacted_at, m.redacted_by, m.redaction_reason
  FROM @extschema@.messages m
  LEFT JOIN @extschema@.message_traces t
    ON t.workspace_id OPERATOR(pg_catalog.=) m.workspace_id AND t.message_id OPERATOR(pg_catalog.=) m.id;
COMMENT ON VIEW @extschema@.operator_messages IS
    'Every message of the workspace with notes, debug, grounding and traces (operators and admins)';

CREATE VIEW @extschema@.inbox WITH (security_invoker = true) AS
SELECT c.id, c.number, c.status, c.control, c.channel, c.subject,
       c.contact_id, ct.name AS contact_name,
       c.assignee_id, o.name AS assignee_name, c.team_id, tm.name AS team_name,
       c.last_message_at, c.waiting_since, c.unanswered_count AS unread_count,
       c.snoozed_until, c.created_at, c.updated_at
  FROM @extschema@.conversations c
  LEFT JOIN @extschema@.contacts ct
    ON ct.workspace_id OPERATOR(pg_catalog.=) c.workspace_id AND ct.id OPERATOR(pg_catalog.=) c.contact_id
  LEFT JOIN @extschema@.operators o
    ON o.workspace_id OPERATOR(pg_catalog.=) c.workspace_id AND o.id OPERATOR(pg_catalog.=) c.assignee_id
  LEFT JOIN @extschema@.teams tm
    ON tm.workspace_id OPERATOR(pg_catalog.=) c.workspace_id AND tm.id OPERATOR(pg_catalog.=) c.team_id;
COMMENT ON VIEW @extschema@.inbox IS
    'An operator''s list: status, control, assignee and team, last message time, waiting since, and unread (unanswered customer messages); page it by status ordered by last_message_at DESC NULLS LAST, id DESC';

--------------------------------------------------------------------------
-- Handoff (src/handoff.c) and the events outbox (src/events.c).
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.handoff(conversation uuid, target @extschema@.control, reason text)
    RETURNS void
    AS 'MODULE_PATHNAME', 'woes_handoff'
    LANGUAGE C VOLATILE SECURITY DEFINER;
-- not STRICT: a NULL reason is normal; NULL ids get a clear error
COMMENT ON FUNCTION @extschema@.handoff(uuid, @extschema@.control, text) IS
    'Internal: the compare-and-set control change behind request_handoff, take_over and release_to_automation';

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

CREATE FUNCTION @extschema@.event_horizon() RETURNS bigint
    AS 'MODULE_PATHNAME', 'woes_event_horizon'
    LANGUAGE C VOLATILE SECURITY DEFINER;
COMMENT ON FUNCTION @extschema@.event_horizon() IS
    'Every event id below this belongs to a transaction that has ended (committed or rolled back): the gap-free limit for cursors';

-- Internal: the horizon-then-snapshot read shared by events_since and
-- resolved_conversations.  The horizon must be taken before the snapshot
-- the rows are read with, so both callers are plpgsql, where each
-- statement takes a new snapshot (READ COMMITTED only).
CREATE FUNCTION @extschema@.require_read_committed() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        RAISE EXCEPTION 'reading the outbox needs READ COMMITTED'
            USING ERRCODE = 'WO401',
                  HINT = 'A transaction snapshot older than the horizon could skip events; use READ COMMITTED.';
    END IF;
END;
$$;
COMMENT ON FUNCTION @extschema@.require_read_committed() IS
    'Internal: raise WO401 unless the transaction is READ COMMITTED';

-- Internal: the checks every outbox read makes, then the horizon.  Called
-- as its own statement, before the statement that reads the rows.
CREATE FUNCTION @extschema@.outbox_horizon(action text, max integer) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NOT @extschema@.in_audience('{operator,admin}') THEN
        PERFORM @extschema@.require_audience('{operator,admin}', action);
    END IF;
    IF pg_catalog.current_setting('transaction_isolation') OPERATOR(pg_catalog.<>) 'read committed' THEN
        PERFORM @extschema@.require_read_committed();
    END IF;
    IF outbox_horizon.max IS NULL OR outbox_horizon.max NOT BETWEEN 1 AND 100000 THEN
        RAISE EXCEPTION 'max must be between 1 and 100000' USING ERRCODE = 'WO007';
    END IF;
    RETURN @extschema@.event_horizon();
END;
$$;
COMMENT ON FUNCTION @extschema@.outbox_horizon(text, integer) IS
    'Internal: audience, isolation and max checks of an outbox read, then woes.event_horizon()';

CREATE FUNCTION @extschema@.events_since("cursor" bigint, max integer DEFAULT 1000)
    RETURNS SETOF @extschema@.events
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    horizon bigint;
BEGIN
    -- its own statement: the horizon is taken before the snapshot below
    horizon := @extschema@.outbox_horizon('reading the outbox', events_since.max);
    -- a new statement, so a new snapshot: taken after the horizon
    RETURN QUERY
        SELECT e.* FROM @extschema@.events e
         WHERE e.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND e.id OPERATOR(pg_catalog.>) coalesce(events_since."cursor", 0)
           AND e.id OPERATOR(pg_catalog.<) horizon
         ORDER BY e.id
         LIMIT events_since.max;
END;
$$;
COMMENT ON FUNCTION @extschema@.events_since(bigint, integer) IS
    'The workspace''s events after cursor, in id order, at most max; gap-free: pass the last id you got as the next cursor and no event is ever skipped, whatever order transactions commit in';

CREATE FUNCTION @extschema@.resolved_conversations("cursor" bigint DEFAULT 0, max integer DEFAULT 1000)
    RETURNS TABLE (event_id bigint, conversation_id uuid, number bigint, channel text,
                   contact_id uuid, assignee_id uuid, team_id uuid, subject text,
                   custom_fields jsonb, created_at timestamptz, resolved_at timestamptz,
                   resolved_by text)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    horizon bigint;
BEGIN
    horizon := @extschema@.outbox_horizon('exporting resolved conversations', resolved_conversations.max);
    RETURN QUERY
        SELECT e.id, c.id, c.number, c.channel, c.contact_id, c.assignee_id, c.team_id, c.subject,
               c.custom_fields, c.created_at, e.created_at,
               e.payload OPERATOR(pg_catalog.->>) 'actor_kind'
          FROM @extschema@.events e
          JOIN @extschema@.conversations c
            ON c.workspace_id OPERATOR(pg_catalog.=) e.workspace_id
           AND c.id OPERATOR(pg_catalog.=) e.conversation_id
         WHERE e.workspace_id OPERATOR(pg_catalog.=) @extschema@.current_workspace()
           AND e.id OPERATOR(pg_catalog.>) coalesce(resolved_conversations."cursor", 0)
           AND e.id OPERATOR(pg_catalog.<) horizon
           AND e.kind OPERATOR(pg_catalog.=) 'conversation.status_changed'
           AND e.payload OPERATOR(pg_catalog.->>) 'to' OPERATOR(pg_catalog.=) 'resolved'
         ORDER BY e.id
         LIMIT resolved_conversations.max;
END;
$$;
COMMENT ON FUNCTION @extschema@.resolved_conversations(bigint, integer) IS
    'Incremental warehouse export: each resolution after cursor with the conversation''s fields; pass the last event_id as the next cursor (gap-free like events_since)';

-- history and outbox: read by staff (and analysts for handoff history);
-- written only by the triggers, as the owner
CREATE POLICY handoff_events_read ON @extschema@.handoff_events FOR SELECT
    USING (@extschema@.in_audience('{agent,operator,analyst,admin}'));
CREATE POLICY events_read ON @extschema@.events FOR SELECT
    USING (@extschema@.in_audience('{operator,admin}'));

--------------------------------------------------------------------------
-- Administration: role bindings and the self-check.
--------------------------------------------------------------------------

CREATE FUNCTION @extschema@.bind_role(role regrole, workspace uuid, audience @extschema@.audience,
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
    IF NOT EXISTS (SELECT FROM @extschema@.workspaces w WHERE w.id OPERATOR(pg_catalog.=) bind_role.workspace) THEN
        RAISE EXCEPTION 'workspace % does not exist', bind_role.workspace USING ERRCODE = 'WO004';
    END IF;
    IF bind_role.audience OPERATOR(@extschema@.=) ANY ('{customer,agent}') AND bind_role.actor IS NULL THEN
        RAISE EXCEPTION 'the % audience needs an actor', bind_role.audience USING ERRCODE = 'WO004';
    END IF;
    -- (the CASE is parenthesised: PL/pgSQL would take its THEN for the IF's)
    IF bind_role.actor IS NOT NULL AND NOT (CASE
        WHEN bind_role.audience OPERATOR(@extschema@.=) 'customer' THEN EXISTS (
            SELECT FROM @extschema@.contacts c WHERE c.workspace_id OPERATOR(pg_catalog.=) bind_role.workspace
               AND c.id OPERATOR(pg_catalog.=) bind_role.actor)
        WHEN bind_role.audience OPERATOR(@extschema@.=) 'agent' THEN EXISTS (
            SELECT FROM @extschema@.agents a WHERE a.workspace_id OPERATOR(pg_catalog.=) bind_role.workspace
               AND a.id OPERATOR(pg_catalog.=) bind_role.actor)
        ELSE EXISTS (
            SELECT FROM @extschema@.operators o WHERE o.workspace_id OPERATOR(pg_catalog.=) bind_role.workspace
               AND o.id OPERATOR(pg_catalog.=) bind_role.actor)
        END)
    THEN
        RAISE EXCEPTION 'actor % is not % of workspace %', bind_role.actor,
              (CASE bind_role.audience::text WHEN 'customer' THEN 'a contact' WHEN 'agent' THEN 'an agent'
                    ELSE 'an operator' END),
              bind_role.workspace USING ERRCODE = 'WO004';
    END IF;

    -- one binding per role: it is one set of per-role defaults.  Writing
    -- role_bindings needs a context: act, for this call, as the admin of
    -- each workspace touched (the caller's context is restored after).
    PERFORM @extschema@.unbind_role(bind_role.role);
    PERFORM pg_catalog.set_config('woes.workspace', bind_role.workspace::text, true),
            pg_catalog.set_config('woes.audience', 'admin', true),
            pg_catalog.set_config('woes.actor', '', true);
    INSERT INTO @extschema@.role_bindings (workspace_id, role_name, audience, actor)
    VALUES (bind_role.workspace, r.rolname, bind_role.audience, bind_role.actor);
    PERFORM pg_catalog.set_config('woes.workspace', saved_workspace, true),
            pg_catalog.set_config('woes.audience', saved_audience, true),
            pg_catalog.set_config('woes.actor', saved_actor, true);
    -- per role in this database only: the binding (and its workspace) lives here
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.workspace = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.workspace);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.audience = %L',
                   r.rolname, pg_catalog.current_database(), bind_role.audience);
    EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.actor = %L',
                   r.rolname, pg_catalog.current_database(), coalesce(bind_role.actor::text, ''));
END;
$$;
COMMENT ON FUNCTION @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid) IS
    'Give every new session of role in this database this context by default (for BI tools and psql); woes_admin only';

CREATE FUNCTION @extschema@.unbind_role(role regrole) RETURNS boolean
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
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.workspace', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.audience', rolname, pg_catalog.current_database());
    EXECUTE format('ALTER ROLE %I IN DATABASE %I RESET woes.actor', rolname, pg_catalog.current_database());
    -- writing role_bindings needs a context: act, for this call, as the
    -- admin of the binding's workspace (the owner sees every workspace)
    FOR ws IN SELECT b.workspace_id FROM @extschema@.role_bindings b
               WHERE b.role_name OPERATOR(pg_catalog.=) rolname
    LOOP
        PERFORM pg_catalog.set_config('woes.workspace', ws::text, true),
                pg_catalog.set_config('woes.audience', 'admin', true),
                pg_catalog.set_config('woes.actor', '', true);
        DELETE FROM @extschema@.role_bindings b
         WHERE b.workspace_id OPERATOR(pg_catalog.=) ws
           AND b.role_name OPERATOR(pg_catalog.=) rolname;
        found_any := true;
    END LOOP;
    PERFORM pg_catalog.set_config('woes.workspace', saved_workspace, true),
            pg_catalog.set_config('woes.audience', saved_audience, true),
            pg_catalog.set_config('woes.actor', saved_actor, true);
    RETURN found_any;
END;
$$;
COMMENT ON FUNCTION @extschema@.unbind_role(regrole) IS
    'Remove a role''s default context; returns whether it had one; woes_admin only';

CREATE FUNCTION @extschema@.reapply_role_bindings() RETURNS integer
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- SECURITY DEFINER, like bind_role.  After a restore into another
    -- cluster or database, woes.role_bindings is back but the per-role
    -- defaults (pg_db_role_setting) are not: this writes them again.
    -- Bindings of roles that do not exist here are skipped.
    b record;
    n integer := 0;
BEGIN
    FOR b IN SELECT rb.* FROM @extschema@.role_bindings rb
              JOIN pg_catalog.pg_roles r ON r.rolname OPERATOR(pg_catalog.=) rb.role_name
    LOOP
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.workspace = %L',
                       b.role_name, pg_catalog.current_database(), b.workspace_id);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.audience = %L',
                       b.role_name, pg_catalog.current_database(), b.audience);
        EXECUTE format('ALTER ROLE %I IN DATABASE %I SET woes.actor = %L',
                       b.role_name, pg_catalog.current_database(), coalesce(b.actor::text, ''));
        n := n + 1;
    END LOOP;
    RETURN n;
END;
$$;
COMMENT ON FUNCTION @extschema@.reapply_role_bindings() IS
    'After a restore: write the per-role default context of every role in woes.role_bindings again (pg_dump does not carry role settings); returns how many; woes_admin only';

CREATE FUNCTION @extschema@.doctor(OUT "check" text, OUT ok boolean, OUT detail text)
    RETURNS SETOF record
    LANGUAGE sql STABLE PARALLEL SAFE
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
        SELECT 'isolation_policy', array_agg(relname ORDER BY relname)
          FROM tables t WHERE per_workspace AND NOT EXISTS (
                SELECT FROM pg_catalog.pg_policy p
                 WHERE p.polrelid = t.oid AND NOT p.polpermissive AND p.polcmd = '*'
                   AND p.polname = 'workspace_isolation')
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
COMMENT ON FUNCTION @extschema@.doctor() IS
    'Self-check: one row per safety check (forced RLS, isolation policies, context triggers, pinned search_path and row_security, ids made by woes, free text out of statistics, dump registration, privileges); ok = false names the offenders';

--------------------------------------------------------------------------
-- Privileges.  Nobody but the owner may CREATE in the schema; nobody may
-- TRUNCATE (it ignores row-level security); internal helpers are not
-- executable by PUBLIC.
--------------------------------------------------------------------------

REVOKE ALL ON SCHEMA @extschema@ FROM PUBLIC;
GRANT USAGE ON SCHEMA @extschema@ TO woes_service, woes_admin, woes_analyst;

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
GRANT SELECT ON @extschema@.role_bindings TO woes_admin;
GRANT SELECT ON @extschema@.status_events, @extschema@.handoff_events TO woes_service, woes_admin, woes_analyst;
GRANT SELECT ON @extschema@.events TO woes_service, woes_admin;
-- analysts: who and how, never what was said (no subjects, no messages)
GRANT SELECT ON @extschema@.operators, @extschema@.teams, @extschema@.team_members,
    @extschema@.agents TO woes_analyst;
GRANT SELECT (workspace_id, id, number, channel, status, control, contact_id, assignee_id, team_id,
              custom_fields, snoozed_until, previous_conversation_id, last_message_at,
              waiting_since, created_at, updated_at)
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
                OR p.proname OPERATOR(pg_catalog.=) ANY ('{uuid_generate_v7,uuid_v7_time,current_workspace,current_audience,current_actor,in_audience,can_transition,next_statuses,can_see,email_thread_keys}'))
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
    @extschema@.handoff(uuid, @extschema@.control, text),
    @extschema@.require_read_committed(),
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
    @extschema@.transition(uuid, @extschema@.status, text, timestamptz),
    @extschema@.resolve(uuid, text),
    @extschema@.reopen(uuid, text),
    @extschema@.close(uuid, text),
    @extschema@.set_pending(uuid, text),
    @extschema@.snooze(uuid, timestamptz, text),
    @extschema@.wake_snoozed(timestamptz),
    @extschema@.receive_message(text, text, text, text, text, text, timestamptz),
    @extschema@.start_conversation(uuid, text, text, text),
    @extschema@.reply(uuid, text, @extschema@.visibility, jsonb, jsonb),
    @extschema@.add_note(uuid, text),
    @extschema@.redact_message(uuid, text),
    @extschema@.erase_contact(uuid),
    @extschema@.request_handoff(uuid, text),
    @extschema@.take_over(uuid),
    @extschema@.release_to_automation(uuid),
    @extschema@.event_horizon(),
    @extschema@.events_since(bigint, integer),
    @extschema@.resolved_conversations(bigint, integer)
    TO woes_service, woes_admin;

GRANT EXECUTE ON FUNCTION
    @extschema@.bind_role(regrole, uuid, @extschema@.audience, uuid),
    @extschema@.unbind_role(regrole),
    @extschema@.reapply_role_bindings(),
    @extschema@.doctor()
    TO woes_admin;

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

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

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

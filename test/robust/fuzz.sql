-- Generators and drivers of the fuzz test (test/sh/fuzz.sh), loaded into its
-- own database after CREATE EXTENSION woes.
--
-- Every input is generated here, from random() after setseed(seed): a batch
-- (function, n, seed) always feeds the same inputs, so a crash or a finding
-- is reproduced by running that one batch again.  Each input is tried in
-- its own subtransaction (BEGIN ... EXCEPTION), and the outcome is counted:
-- 'accepted', or the SQLSTATE of the rejection (GET STACKED DIAGNOSTICS).
-- Where the right answer is known, a wrong one is recorded in
-- fuzz.violations (an oracle, on top of "no crash, no XX000").

CREATE SCHEMA fuzz;

-- outcome per function: 'accepted' or a SQLSTATE ('' if none came), with the
-- first input (abbreviated) and message seen for it
CREATE TABLE fuzz.outcomes (
    func    text NOT NULL,
    outcome text NOT NULL,
    n       bigint NOT NULL,
    example text,
    message text,
    PRIMARY KEY (func, outcome)
);
CREATE TABLE fuzz.violations (
    func   text NOT NULL,
    input  text,
    detail text NOT NULL
);
-- the workspace and operator of the intake fuzzing
CREATE TABLE fuzz.cfg (ws uuid NOT NULL, op uuid NOT NULL);

-- a printable abbreviation of an input (in double quotes) or a message
-- (quoted false): control, non-ASCII and backslash characters (and double
-- quotes, in quotes) as \uXXXX or \UXXXXXXXX, long ones cut (with the length)
CREATE FUNCTION fuzz.show(s text, maxlen int DEFAULT 60, quoted boolean DEFAULT true) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    out text := '';
    c text;
BEGIN
    IF s IS NULL THEN
        RETURN 'NULL';
    END IF;
    FOREACH c IN ARRAY regexp_split_to_array(left(s, maxlen), '') LOOP
        IF ascii(c) BETWEEN 32 AND 126 AND c <> '\' AND (c <> '"' OR NOT quoted) THEN
            out := out || c;
        ELSIF c <> '' THEN
            out := out || CASE WHEN ascii(c) > 65535 THEN '\U' || lpad(to_hex(ascii(c)), 8, '0')
                               ELSE '\u' || lpad(to_hex(ascii(c)), 4, '0') END;
        END IF;
    END LOOP;
    IF quoted THEN
        out := '"' || out || '"';
    END IF;
    IF length(s) > maxlen THEN
        out := out || format('... (%s characters)', length(s));
    END IF;
    RETURN out;
END;
$$;

-- per-batch counters kept in memory and flushed once (a row per outcome)
CREATE FUNCTION fuzz.flush(func text, outcomes text[], counts bigint[], examples text[], messages text[])
RETURNS void LANGUAGE sql AS $$
    INSERT INTO fuzz.outcomes AS o (func, outcome, n, example, message)
    SELECT func, u.outcome, u.n, u.example, u.message
      FROM unnest(outcomes, counts, examples, messages) AS u(outcome, n, example, message)
    ON CONFLICT (func, outcome) DO UPDATE SET n = o.n + excluded.n;
$$;

CREATE FUNCTION fuzz.violation(func text, input text, detail text) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO fuzz.violations VALUES (func, fuzz.show(input), detail);
$$;

-- a random integer in [lo, hi]
CREATE FUNCTION fuzz.ri(lo int, hi int) RETURNS int LANGUAGE sql VOLATILE AS $$
    SELECT lo + floor(random() * (hi - lo + 1))::int
$$;

-- one random character: never NUL (the server refuses it in text before any
-- function sees it), never a surrogate (not valid UTF-8)
CREATE FUNCTION fuzz.rchar() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r float8 := random();
    -- spaces of all kinds, combining marks, Cyrillic look-alikes of Latin
    -- letters, zero-width characters, bidi controls, BOM, full-width forms,
    -- the replacement character, noncharacters, a tag, the last code point
    special int[] := ARRAY[160, 173, 768, 769, 776, 803, 1072, 1077, 1086, 1088, 1089, 1110,
                           5760, 8192, 8203, 8204, 8205, 8232, 8233, 8238, 8239, 8288, 12288,
                           65279, 65293, 65296, 65313, 65345, 65533, 65534, 65535, 917505, 1114111];
BEGIN
    IF r < 0.40 THEN
        RETURN chr(32 + floor(random() * 95)::int);                 -- printable ASCII
    ELSIF r < 0.50 THEN
        RETURN chr(1 + floor(random() * 31)::int);                  -- C0 controls but NUL
    ELSIF r < 0.52 THEN
        RETURN chr(127);
    ELSIF r < 0.60 THEN
        RETURN chr(128 + floor(random() * 128)::int);               -- C1 controls, Latin-1
    ELSIF r < 0.72 THEN
        RETURN chr(special[1 + floor(random() * cardinality(special))::int]);
    ELSIF r < 0.86 THEN                                             -- the rest of the BMP
        RETURN chr(CASE WHEN random() < 0.85 THEN 256 + floor(random() * 55040)::int
                        ELSE 57344 + floor(random() * 8192)::int END);
    ELSE
        RETURN chr(65536 + floor(random() * 1048576)::int);         -- astral planes
    END IF;
END;
$$;

-- a random string of 0 to maxlen characters (short ones more often)
CREATE FUNCTION fuzz.rtext(maxlen int) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n int := floor(power(random(), 2) * (maxlen + 1))::int;
    s text := '';
BEGIN
    FOR i IN 1..n LOOP
        s := s || fuzz.rchar();
    END LOOP;
    RETURN s;
END;
$$;

-- n random characters of the astral planes (4 bytes each in UTF-8, and
-- nothing to compress): long in bytes for its length in characters
CREATE FUNCTION fuzz.astral(n int) RETURNS text LANGUAGE sql VOLATILE AS $$
    SELECT string_agg(chr(65536 + floor(random() * 1048576)::int), '') FROM generate_series(1, n)
$$;

-- a long string, cheaply: a short random piece repeated, sometimes around
-- a label
CREATE FUNCTION fuzz.longtext(minlen int, maxlen int, core text DEFAULT '') RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    target int := fuzz.ri(minlen, maxlen);
    piece text := CASE fuzz.ri(0, 4)
                      WHEN 0 THEN ' ' WHEN 1 THEN 'a' WHEN 2 THEN chr(128512)
                      ELSE fuzz.rtext(8) END;
    s text;
BEGIN
    IF piece = '' THEN
        piece := 'x';
    END IF;
    s := repeat(piece, greatest(target - length(core), 0) / length(piece) + 1);
    RETURN CASE fuzz.ri(0, 2)
               WHEN 0 THEN core || left(s, greatest(target - length(core), 0))
               WHEN 1 THEN left(s, greatest(target - length(core), 0)) || core
               ELSE left(core || s, target) END;
END;
$$;

-- a near miss of s: one edit of the kinds that break a strict parser
CREATE FUNCTION fuzz.mutate(s text) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n int := length(s);
    p int := 1 + floor(random() * greatest(n, 1))::int;
    blanks text[] := ARRAY[' ', E'\t', E'\n', E'\r', chr(11), chr(12), chr(160), chr(8203), chr(65279), chr(12288), chr(133)];
BEGIN
    CASE floor(random() * 22)::int
        WHEN 0 THEN RETURN upper(s);
        WHEN 1 THEN RETURN overlay(s PLACING upper(substr(s, p, 1)) FROM p FOR 1);
        WHEN 2 THEN RETURN initcap(s);
        WHEN 3 THEN RETURN blanks[1 + floor(random() * cardinality(blanks))::int] || s;
        WHEN 4 THEN RETURN s || blanks[1 + floor(random() * cardinality(blanks))::int];
        WHEN 5 THEN RETURN overlay(s PLACING fuzz.rchar() FROM p FOR 0);          -- insert
        WHEN 6 THEN RETURN overlay(s PLACING '' FROM p FOR 1);                    -- delete
        WHEN 7 THEN RETURN overlay(s PLACING fuzz.rchar() FROM p FOR 1);          -- replace
        WHEN 8 THEN RETURN overlay(s PLACING substr(s, p + 1, 1) || substr(s, p, 1) FROM p FOR 2);
        WHEN 9 THEN RETURN s || s;
        WHEN 10 THEN RETURN left(s, floor(random() * n)::int);
        WHEN 11 THEN RETURN (ARRAY['woes.', '"', '''', '=', '-', '+', '0', 'x', '_', 'in_', 'not '])[fuzz.ri(1, 11)] || s;
        WHEN 12 THEN RETURN s || (ARRAY['"', ';', 's', '_', '.', ',', '()', '--', '::text', '=', chr(769), '[]'])[fuzz.ri(1, 12)];
        WHEN 13 THEN RETURN overlay(s PLACING translate(substr(s, p, 1), 'aceiopxyACEIOPXY',
                                    'асеіорхуАСЕІОРХУ') FROM p FOR 1);                -- Cyrillic look-alike
        WHEN 14 THEN RETURN translate(s, 'abcdefghijklmnopqrstuvwxyz0123456789_-',
                                      'ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐｑｒｓｔｕｖｗｘｙｚ０１２３４５６７８９＿－');
        WHEN 15 THEN RETURN overlay(s PLACING chr(fuzz.ri(1, 31)) FROM p FOR 0);
        WHEN 16 THEN RETURN translate(s, '_-', '-_');
        WHEN 17 THEN RETURN '"' || s || '"';
        WHEN 18 THEN RETURN s || repeat(' ', fuzz.ri(1, 40));
        WHEN 19 THEN RETURN overlay(s PLACING substr(s, p, 1) || chr(fuzz.ri(768, 879)) FROM p FOR 1);
        WHEN 20 THEN RETURN overlay(s PLACING upper(substr(s, p, 1)) FROM p FOR 1) || s;
        ELSE RETURN s;
    END CASE;
END;
$$;

-- an input for a parser of labels: exact labels, near misses, other types'
-- labels, numbers, random text, long strings
CREATE FUNCTION fuzz.label_input(labels text[]) RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r float8 := random();
    s text := labels[1 + floor(random() * cardinality(labels))::int];
    others text[] := ARRAY['none', '', 'customer', 'agent', 'operator', 'analyst', 'admin', 'open',
                           'pending', 'snoozed', 'resolved', 'closed', 'public', 'internal', 'debug',
                           'automation', 'handoff_requested', 'true', 'null', 'NULL', 'default',
                           'awaiting_customer', 'handoff', 'private', 'system'];
BEGIN
    IF r < 0.06 THEN
        RETURN s;
    ELSIF r < 0.56 THEN
        FOR i IN 1..fuzz.ri(1, 3) LOOP
            s := fuzz.mutate(s);
        END LOOP;
        RETURN s;
    ELSIF r < 0.61 THEN
        RETURN others[1 + floor(random() * cardinality(others))::int];
    ELSIF r < 0.64 THEN
        RETURN (ARRAY['0', '1', '-1', '5', '6', '255', '256', '1e3', '0x01', ' 1', '2147483648'])[fuzz.ri(1, 11)];
    ELSIF r < 0.86 THEN
        RETURN fuzz.rtext(CASE WHEN random() < 0.8 THEN 16 ELSE 200 END);
    ELSIF r < 0.95 THEN                          -- pieces of labels glued together
        RETURN substr(array_to_string(labels, ''), fuzz.ri(1, 20), fuzz.ri(0, 20));
    ELSIF r < 0.999 THEN
        RETURN fuzz.longtext(100, 5000, s);
    ELSE
        RETURN fuzz.longtext(100000, 1000000, s);
    END IF;
END;
$$;

-- an input for a uuid parser: canonical uuids and their near misses
CREATE FUNCTION fuzz.uuid_input() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r float8 := random();
    b text := CASE WHEN random() < 0.5 THEN gen_random_uuid()::text ELSE woes.uuid_generate_v7()::text END;
    n int;
    p int;
BEGIN
    IF r < 0.04 THEN
        RETURN '';
    ELSIF r < 0.12 THEN
        RETURN b;
    ELSIF r < 0.16 THEN
        RETURN upper(b);
    ELSIF r < 0.20 THEN
        RETURN replace(b, '-', '');
    ELSIF r < 0.70 THEN
        FOR i IN 1..fuzz.ri(1, 2) LOOP
            n := length(b);
            p := 1 + floor(random() * greatest(n, 1))::int;
            b := CASE floor(random() * 18)::int
                WHEN 0 THEN overlay(b PLACING (ARRAY['g', 'G', '-', ' ', 'x', '{', '}', ':', 'z', '０', 'ａ', '/'])[fuzz.ri(1, 12)] FROM p FOR 1)
                WHEN 1 THEN overlay(b PLACING '' FROM p FOR 1)
                WHEN 2 THEN overlay(b PLACING substr('0123456789abcdef', fuzz.ri(1, 16), 1) FROM p FOR 0)
                WHEN 3 THEN overlay(b PLACING '-' FROM p FOR 0)
                WHEN 4 THEN '{' || b || '}'
                WHEN 5 THEN 'urn:uuid:' || b
                WHEN 6 THEN rtrim(regexp_replace(replace(b, '-', ''), '(....)', '\1-', 'g'), '-')
                WHEN 7 THEN left(b, floor(random() * n)::int)
                WHEN 8 THEN b || substr('0123456789abcdefABCDEF -', fuzz.ri(1, 24), 1)
                WHEN 9 THEN (ARRAY[' ', E'\t', E'\n', chr(160), chr(65279)])[fuzz.ri(1, 5)] || b
                WHEN 10 THEN translate(b, '0123456789', '０１２３４５６７８９')
                WHEN 11 THEN b || b
                WHEN 12 THEN overlay(b PLACING upper(substr(b, p, 1)) FROM p FOR 1)
                WHEN 13 THEN overlay(b PLACING fuzz.rchar() FROM p FOR 1)
                WHEN 14 THEN replace(b, '-', '--')
                WHEN 15 THEN overlay(b PLACING chr(fuzz.ri(1, 31)) FROM p FOR 0)
                WHEN 16 THEN replace(b, '-', (ARRAY['', ' ', '_', ':'])[fuzz.ri(1, 4)])
                ELSE overlay(b PLACING '' FROM p FOR 1) || substr('0123456789abcdef', fuzz.ri(1, 16), 1)
            END;
        END LOOP;
        RETURN b;
    ELSIF r < 0.80 THEN
        RETURN fuzz.rtext(40);
    ELSIF r < 0.90 THEN                          -- hex and hyphens in random lengths
        b := '';
        FOR i IN 1..fuzz.ri(0, 40) LOOP
            b := b || substr('0123456789abcdefABCDEF--', fuzz.ri(1, 24), 1);
        END LOOP;
        RETURN b;
    ELSIF r < 0.95 THEN
        RETURN (ARRAY['null', 'NULL', 'none', '0', 'default', '00000000-0000-0000-0000-000000000000',
                      'ffffffff-ffff-ffff-ffff-ffffffffffff', '-', '--------', ' ', 'DEFAULT', 'true'])[fuzz.ri(1, 12)];
    ELSIF r < 0.999 THEN
        RETURN fuzz.longtext(40, 5000, b);
    ELSE
        RETURN fuzz.longtext(100000, 1000000, b);
    END IF;
END;
$$;

--------------------------------------------------------------------------
-- Drivers.  Each returns the number of inputs tried.
--------------------------------------------------------------------------

-- the text input function of one type (audience_in, status_in, ...),
-- through the text-to-type cast; accepted must mean "exactly a label"
CREATE FUNCTION fuzz.run_type(typ text, n int, seed float8) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    labels text[] := CASE typ
        WHEN 'audience' THEN ARRAY['customer', 'agent', 'operator', 'analyst', 'admin']
        WHEN 'status' THEN ARRAY['open', 'pending', 'snoozed', 'resolved', 'closed']
        WHEN 'visibility' THEN ARRAY['public', 'internal', 'debug']
        WHEN 'control' THEN ARRAY['automation', 'handoff_requested', 'operator'] END;
    func text := 'woes.' || typ || ' text input';
    x text;
    got text;
    st text;
    msg text;
    outs text[] := '{}';
    cnts bigint[] := '{}';
    exs text[] := '{}';
    msgs text[] := '{}';
    k int;
BEGIN
    IF labels IS NULL THEN
        RAISE EXCEPTION 'unknown type %', typ;
    END IF;
    PERFORM setseed(seed);
    FOR i IN 1..n LOOP
        x := fuzz.label_input(labels);
        BEGIN
            got := CASE typ
                WHEN 'audience' THEN x::woes.audience::text
                WHEN 'status' THEN x::woes.status::text
                WHEN 'visibility' THEN x::woes.visibility::text
                ELSE x::woes.control::text END;
            st := 'accepted';
            msg := got;
            IF got IS DISTINCT FROM x OR NOT x = ANY (labels) THEN
                PERFORM fuzz.violation(func, x, format('accepted as %s: only the exact labels may be', got));
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            st := coalesce(st, '');
            IF x = ANY (labels) THEN
                PERFORM fuzz.violation(func, x, format('a valid label was rejected (%s %s)', st, msg));
            END IF;
        END;
        k := array_position(outs, st);
        IF k IS NULL THEN
            outs := outs || st; cnts := cnts || 1::bigint; exs := exs || fuzz.show(x); msgs := msgs || fuzz.show(msg, 160, false);
        ELSE
            cnts[k] := cnts[k] + 1;
        END IF;
    END LOOP;
    PERFORM fuzz.flush(func, outs, cnts, exs, msgs);
    RETURN n;
END;
$$;

-- one setting of the context, by SET LOCAL (every other input) and by
-- set_config(); the values must be parsed as documented:
--   woes.workspace, woes.actor: empty, or a uuid; the context then carries
--     exactly that uuid (canonical and 32-digit forms must be accepted; no
--     value uuid_in rejects may be);
--   woes.audience: none, customer, agent, operator, analyst, admin (an enum
--     setting: case-insensitive); admin only for woes_admin members and
--     superusers (WO003 otherwise)
CREATE FUNCTION fuzz.run_setting(setting text, n int, seed float8) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    is_uuid boolean := setting IN ('woes.workspace', 'woes.actor');
    labels text[] := ARRAY['none', 'customer', 'agent', 'operator', 'analyst', 'admin'];
    privileged boolean := (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                          OR pg_has_role(current_user, 'woes_admin', 'USAGE');
    func text := setting || ' setting (' || CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                                                  THEN 'superuser' ELSE 'woes_service member' END || ')';
    x text;
    folded text;
    valid boolean;
    cur text;
    u uuid;
    st text;
    msg text;
    outs text[] := '{}';
    cnts bigint[] := '{}';
    exs text[] := '{}';
    msgs text[] := '{}';
    k int;
BEGIN
    PERFORM setseed(seed);
    FOR i IN 1..n LOOP
        x := CASE WHEN is_uuid THEN fuzz.uuid_input() ELSE fuzz.label_input(labels) END;
        IF is_uuid THEN
            valid := x = '' OR x ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                     OR x ~ '^[0-9a-fA-F]{32}$';
        ELSE
            folded := translate(x, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz');
            valid := folded = ANY (labels) AND (folded <> 'admin' OR privileged);
        END IF;
        BEGIN
            IF i % 2 = 0 THEN
                EXECUTE format('SET LOCAL %s = %L', setting, x);
            ELSE
                PERFORM set_config(setting, x, true);
            END IF;
            st := 'accepted';
            msg := '';
            cur := CASE setting
                WHEN 'woes.workspace' THEN woes.current_workspace()::text
                WHEN 'woes.actor' THEN woes.current_actor()::text
                ELSE coalesce(woes.current_audience()::text, 'none') END;
            IF is_uuid THEN
                IF x = '' THEN
                    IF cur IS NOT NULL THEN
                        PERFORM fuzz.violation(func, x, 'empty value, but the context holds ' || cur);
                    END IF;
                ELSE
                    BEGIN
                        u := x::uuid;
                        IF cur IS DISTINCT FROM u::text THEN
                            PERFORM fuzz.violation(func, x, format('the context holds %s, not %s', cur, u));
                        END IF;
                    EXCEPTION WHEN invalid_text_representation THEN
                        PERFORM fuzz.violation(func, x, 'accepted a value that is not a uuid for uuid_in');
                    END;
                END IF;
            ELSIF NOT valid OR cur IS DISTINCT FROM folded THEN
                PERFORM fuzz.violation(func, x, format('accepted; current_audience() is %s', cur));
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            st := coalesce(st, '');
            IF valid THEN
                PERFORM fuzz.violation(func, x, format('a valid value was rejected (%s %s)', st, msg));
            ELSIF NOT is_uuid AND folded = 'admin' AND st <> 'WO003' THEN
                PERFORM fuzz.violation(func, x, format('admin audience refused with %s, not WO003', st));
            END IF;
        END;
        k := array_position(outs, st);
        IF k IS NULL THEN
            outs := outs || st; cnts := cnts || 1::bigint; exs := exs || fuzz.show(x); msgs := msgs || fuzz.show(msg, 160, false);
        ELSE
            cnts[k] := cnts[k] + 1;
        END IF;
    END LOOP;
    PERFORM fuzz.flush(func, outs, cnts, exs, msgs);
    RETURN n;
END;
$$;

-- woes.receive_message with generated arguments, in the operator audience
-- of the fuzz workspace: mostly well-formed calls into a pool of threads,
-- senders and message ids (so threads, redeliveries and follow-ups of
-- closed conversations happen), with one or more arguments replaced by a
-- near miss, junk, NULL, an empty or an over-long string.  Now and then a
-- conversation is resolved or closed, so the reopen and follow-up paths
-- run too.  An accepted call must return the id of a stored message of
-- that channel and external id.
CREATE FUNCTION fuzz.run_intake(n int, seed float8) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    ws uuid;
    op uuid;
    channels text[] := ARRAY['live_chat', 'live_chat', 'live_chat', 'email', 'email', 'email', 'discord', 'api'];
    func text := 'woes.receive_message (' || CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                                                   THEN 'superuser' ELSE 'woes_service member' END || ')';
    tag text := replace(seed::text, '.', '');
    ch text;
    tref text;
    sender text;
    body text;
    ext text;
    sname text;
    sent timestamptz;
    sent_mode int;
    r float8;
    res uuid;
    ok boolean;
    st text;
    msg text;
    arg text;
    outs text[] := '{}';
    cnts bigint[] := '{}';
    exs text[] := '{}';
    msgs text[] := '{}';
    k int;
    conv uuid;
    num bigint;
BEGIN
    SELECT c.ws, c.op INTO ws, op FROM fuzz.cfg c;
    PERFORM woes.set_context(ws, 'operator', op);
    PERFORM setseed(seed);
    FOR i IN 1..n LOOP
        -- channel
        r := random();
        ch := CASE WHEN r < 0.85 THEN channels[fuzz.ri(1, cardinality(channels))]
                   WHEN r < 0.95 THEN fuzz.mutate(channels[fuzz.ri(1, cardinality(channels))])
                   WHEN r < 0.99 THEN fuzz.rtext(12)
                   ELSE NULL END;
        -- thread reference
        r := random();
        IF ch = 'email' AND r < 0.45 THEN
            tref := '';
            FOR j IN 1..fuzz.ri(1, 3) LOOP
                tref := tref || (ARRAY[' ', ', ', E'\r\n\t', '', ' junk '])[fuzz.ri(1, 5)]
                        || '<' || CASE WHEN random() < 0.7 THEN 'X' || tag || '-' || fuzz.ri(1, i) || '@fuzz'
                                       ELSE 'T' || fuzz.ri(1, 300) END || '>';
            END LOOP;
            IF random() < 0.2 THEN
                tref := fuzz.mutate(tref);
            END IF;
        ELSE
            tref := CASE WHEN r < 0.45 THEN 'T' || fuzz.ri(1, 300)
                         WHEN r < 0.55 THEN NULL
                         WHEN r < 0.60 THEN (ARRAY['', ' ', '   ', E'\t', '<>', '< >', '<', '>'])[fuzz.ri(1, 8)]
                         WHEN r < 0.75 THEN fuzz.rtext(30)
                         WHEN r < 0.85 THEN fuzz.mutate('T' || fuzz.ri(1, 300))
                         WHEN r < 0.88 THEN '<' || fuzz.rtext(20) || '>' || fuzz.rtext(5)
                         WHEN r < 0.91 THEN repeat('r', fuzz.ri(995, 1005))
                         WHEN r < 0.93 THEN repeat('r', fuzz.ri(9995, 10005))
                         WHEN r < 0.95 THEN '<' || repeat('k', fuzz.ri(995, 1005)) || '>'
                         WHEN r < 0.96 THEN repeat(fuzz.rtext(12) || 'z', fuzz.ri(50, 150))
                         WHEN r < 0.98 THEN fuzz.astral(fuzz.ri(600, 1000))
                         ELSE fuzz.longtext(500, 12000) END;
        END IF;
        -- sender
        r := random();
        sender := CASE WHEN r < 0.70 THEN 'S' || fuzz.ri(1, 150)
                       WHEN r < 0.74 THEN NULL
                       WHEN r < 0.77 THEN ''
                       WHEN r < 0.85 THEN fuzz.rtext(20)
                       WHEN r < 0.91 THEN fuzz.mutate('S' || fuzz.ri(1, 150))
                       WHEN r < 0.93 THEN repeat((ARRAY['s', chr(128512), 'é'])[fuzz.ri(1, 3)], fuzz.ri(505, 520))
                       WHEN r < 0.95 THEN fuzz.astral(fuzz.ri(500, 515))
                       ELSE fuzz.longtext(100, 2000) END;
        -- body
        r := random();
        body := CASE WHEN r < 0.62 THEN fuzz.rtext(60)
                     WHEN r < 0.67 THEN ''
                     WHEN r < 0.70 THEN NULL
                     WHEN r < 0.72 THEN repeat('b', fuzz.ri(99990, 100010))
                     WHEN r < 0.74 THEN fuzz.longtext(1000, 110000)
                     ELSE fuzz.mutate('hello, I need help') END;
        -- external message id
        r := random();
        ext := CASE WHEN r < 0.74 THEN CASE WHEN ch = 'email' THEN '<X' || tag || '-' || i || '@fuzz>'
                                           ELSE 'X' || tag || '-' || i END
                    WHEN r < 0.86 THEN 'D' || fuzz.ri(1, 60)
                    WHEN r < 0.89 THEN (ARRAY['<>', '<<>>', ' ', '  <  > ', '<', '>', '< >'])[fuzz.ri(1, 7)]
                    WHEN r < 0.91 THEN NULL
                    WHEN r < 0.93 THEN ''
                    WHEN r < 0.945 THEN repeat((ARRAY['e', chr(128512)])[fuzz.ri(1, 2)], fuzz.ri(505, 520))
                    WHEN r < 0.96 THEN fuzz.astral(fuzz.ri(500, 515))
                    ELSE fuzz.rtext(30) END;
        -- sender name and time
        r := random();
        sname := CASE WHEN r < 0.75 THEN NULL
                      WHEN r < 0.90 THEN fuzz.rtext(30)
                      WHEN r < 0.95 THEN repeat('n', fuzz.ri(195, 205))
                      ELSE '' END;
        r := random();
        sent_mode := CASE WHEN r < 0.85 THEN 0 ELSE 1 END;
        sent := CASE WHEN r < 0.85 THEN NULL
                     WHEN r < 0.89 THEN NULL
                     WHEN r < 0.91 THEN 'infinity'
                     WHEN r < 0.93 THEN '-infinity'
                     ELSE now() + (random() - 0.5) * interval '200 years' END;
        BEGIN
            IF sent_mode = 0 THEN
                res := woes.receive_message(ch, tref, sender, body, ext, sname);
            ELSE
                res := woes.receive_message(ch, tref, sender, body, ext, sname, sent);
            END IF;
            st := 'accepted';
            msg := '';
            SELECT m.channel = ch AND m.external_id = ext INTO ok
              FROM woes.messages m WHERE m.workspace_id = ws AND m.id = res;
            IF res IS NULL OR ok IS NOT TRUE THEN
                PERFORM fuzz.violation(func, ext, format('returned %s, which is not a stored message of channel %s with this external id', res, fuzz.show(ch)));
            END IF;
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            st := coalesce(st, '');
        END;
        k := array_position(outs, st);
        IF k IS NULL THEN
            arg := format('channel %s, thread_ref %s, sender %s, body %s, external_id %s, name %s, sent_at %s',
                          fuzz.show(ch), fuzz.show(tref), fuzz.show(sender), fuzz.show(body), fuzz.show(ext),
                          fuzz.show(sname), CASE WHEN sent_mode = 0 THEN 'default' ELSE coalesce(sent::text, 'NULL') END);
            outs := outs || st; cnts := cnts || 1::bigint; exs := exs || arg; msgs := msgs || fuzz.show(msg, 160, false);
        ELSE
            cnts[k] := cnts[k] + 1;
        END IF;
        -- now and then: resolve or close a conversation (its thread's next
        -- message reopens it, or starts a follow-up)
        IF i % 97 = 0 THEN
            -- one of the newest conversations (by number: an index lookup)
            num := (SELECT max(c.number) FROM woes.conversations c WHERE c.workspace_id = ws) - fuzz.ri(0, 30);
            conv := NULL;
            SELECT c.id INTO conv FROM woes.conversations c
             WHERE c.workspace_id = ws AND c.number = num AND c.status::text <> 'closed';
            IF conv IS NOT NULL THEN
                BEGIN
                    IF random() < 0.5 THEN
                        PERFORM woes.close(conv, 'fuzz');
                    ELSE
                        PERFORM woes.resolve(conv, 'fuzz');
                    END IF;
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
                    PERFORM fuzz.violation('woes.close/resolve (fuzz housekeeping)', conv::text, st || ' ' || msg);
                END;
            END IF;
        END IF;
    END LOOP;
    PERFORM fuzz.flush(func, outs, cnts, exs, msgs);
    RETURN n;
END;
$$;

-- the reason argument of the C status and handoff API (woes.transition,
-- woes.request_handoff), with any target status and snooze time, on the
-- conversations the intake fuzzing made: the reason becomes the woes.reason
-- setting for the call (at most 1,000 characters, recorded in the history)
CREATE FUNCTION fuzz.run_reason(n int, seed float8) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    ws uuid;
    op uuid;
    statuses text[] := ARRAY['open', 'pending', 'snoozed', 'resolved', 'closed'];
    fname text;
    conv uuid;
    reason text;
    until timestamptz;
    target text;
    r float8;
    st text;
    msg text;
    arg text;
    outs text[] := '{}';
    cnts bigint[] := '{}';
    exs text[] := '{}';
    msgs text[] := '{}';
    k int;
    hi bigint;
    num int;
BEGIN
    SELECT c.ws, c.op INTO ws, op FROM fuzz.cfg c;
    PERFORM woes.set_context(ws, 'operator', op);
    PERFORM setseed(seed);
    SELECT max(c.number) INTO hi FROM woes.conversations c WHERE c.workspace_id = ws;
    FOR i IN 1..n LOOP
        num := fuzz.ri(1, greatest(hi, 1)::int);
        SELECT c.id INTO conv FROM woes.conversations c WHERE c.workspace_id = ws AND c.number = num;
        r := random();
        reason := CASE WHEN r < 0.10 THEN NULL
                       WHEN r < 0.15 THEN ''
                       WHEN r < 0.60 THEN fuzz.rtext(40)
                       WHEN r < 0.70 THEN fuzz.mutate('customer asked')
                       WHEN r < 0.80 THEN repeat((ARRAY['r', chr(128512), 'é'])[fuzz.ri(1, 3)], fuzz.ri(995, 1005))
                       WHEN r < 0.85 THEN fuzz.astral(fuzz.ri(995, 1005))
                       WHEN r < 0.99 THEN fuzz.longtext(1000, 20000)
                       ELSE fuzz.longtext(100000, 1000000) END;
        target := statuses[fuzz.ri(1, 5)];
        r := random();
        until := CASE WHEN r < 0.6 THEN NULL
                      WHEN r < 0.9 THEN clock_timestamp() + random() * interval '2 days'
                      WHEN r < 0.95 THEN clock_timestamp() - interval '1 hour'
                      ELSE 'infinity' END;
        r := random();
        BEGIN
            IF r < 0.75 THEN
                fname := 'woes.transition reason';
                PERFORM woes.transition(conv, target::woes.status, reason, until);
            ELSIF r < 0.85 THEN
                fname := 'woes.resolve reason';
                PERFORM woes.resolve(conv, reason);
            ELSE
                fname := 'woes.request_handoff reason';
                PERFORM woes.request_handoff(conv, reason);
            END IF;
            st := 'accepted';
            msg := '';
        EXCEPTION WHEN OTHERS THEN
            GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
            st := coalesce(st, '');
        END;
        k := array_position(outs, fname || ' ' || st);
        IF k IS NULL THEN
            arg := format('to %s, reason %s, snooze_until %s', target, fuzz.show(reason), coalesce(until::text, 'NULL'));
            outs := outs || (fname || ' ' || st); cnts := cnts || 1::bigint; exs := exs || arg;
            msgs := msgs || fuzz.show(msg, 160, false);
        ELSE
            cnts[k] := cnts[k] + 1;
        END IF;
    END LOOP;
    INSERT INTO fuzz.outcomes AS o (func, outcome, n, example, message)
    SELECT split_part(u.o, ' ', 1) || ' ' || split_part(u.o, ' ', 2) || ' (' ||
           CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN 'superuser'
                ELSE 'woes_service member' END || ')',
           split_part(u.o, ' ', 3), u.n, u.e, u.m
      FROM unnest(outs, cnts, exs, msgs) AS u(o, n, e, m)
    ON CONFLICT (func, outcome) DO UPDATE SET n = o.n + excluded.n;
    RETURN n;
END;
$$;

-- what a woes_service member needs to run the drivers
GRANT USAGE ON SCHEMA fuzz TO PUBLIC;
GRANT SELECT, INSERT, UPDATE ON ALL TABLES IN SCHEMA fuzz TO PUBLIC;

-- A malformed context setting is refused with an error, and nothing else
-- happens: the check hook's memory goes back to the allocator it came from
-- (on PostgreSQL 16 and later a GUC's extra is memory of a GUC memory
-- context, not malloc's; freeing it with free() aborted the backend and the
-- postmaster restarted every session).  Tried as an attacker would: a
-- non-superuser member of woes_service, in its own session, every way a
-- setting can be given, then checked that the session is still the same
-- backend.
\set VERBOSITY terse
SELECT current_user AS su \gset
SELECT id AS acme FROM woes.workspaces WHERE slug = 'acme' \gset
\c - app
SELECT pg_backend_pid() AS pid \gset
-- before the library is loaded in the session the settings are
-- placeholders, checked when it loads: the malformed one is dropped with a
-- warning
SET woes.actor = 'not-a-uuid-either';
SELECT woes.current_actor() IS NULL AS placeholder_dropped;
-- loaded: refused at once
SET woes.workspace = 'not-a-uuid';
SET woes.actor = '1234';
SET woes.workspace = '';
BEGIN;
SET LOCAL woes.workspace = 'not-a-uuid';
ROLLBACK;
BEGIN;
SELECT set_config('woes.actor', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', true);
ROLLBACK;
-- a long one (the message quotes it; caught here to keep the output short)
DO $$
BEGIN
    PERFORM set_config('woes.workspace', repeat('x', 10000), false);
EXCEPTION WHEN invalid_text_representation THEN
    RAISE NOTICE 'refused: %', left(SQLERRM, 50);
END;
$$;
-- a valid value, then a malformed one over it: the valid one stays
BEGIN;
SET LOCAL woes.workspace = :'acme';
SAVEPOINT s;
SET LOCAL woes.workspace = '{not a uuid}';
ROLLBACK TO s;
SELECT woes.current_workspace() = :'acme' AS valid_value_kept;
ROLLBACK;
-- many times over: a leak or a double free would show
DO $$
BEGIN
    FOR i IN 1..2000 LOOP
        BEGIN
            PERFORM set_config('woes.workspace', 'bad-' || i, true);
        EXCEPTION WHEN invalid_text_representation THEN NULL;
        END;
    END LOOP;
END;
$$;
-- still the same backend, and the server still serves it
SELECT pg_backend_pid() = :pid AS same_backend, woes.current_workspace() IS NULL AS no_context;
\c - :su

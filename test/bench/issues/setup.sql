-- The issue-impact benchmark's data: one workspace with CONVERSATIONS
-- conversations of CONTACTS customers (a quarter of them resolved), ISSUES
-- tracker issues, and links: each conversation linked to one issue (every
-- third to a second one too), skewed so that a few issues carry most links,
-- as real trackers see.  Written through the triggers (events, history),
-- as an operator; a second, smaller workspace beside it, so that the
-- workspace filter matters.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT woes.create_workspace('bench-issues', 'Issue impact benchmark') AS ws \gset
SELECT woes.create_workspace('bench-other', 'Another workspace') AS other \gset
CREATE SCHEMA bench;
CREATE FUNCTION bench.load(ws uuid, conversations int, contacts int, issues int) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM woes.set_context(ws, 'operator');
    -- contacts written directly (upsert_contact takes an advisory lock each)
    CREATE TEMP TABLE ct ON COMMIT DROP AS
        SELECT i, woes.uuid_generate_v7() AS id FROM generate_series(1, contacts) i;
    INSERT INTO woes.contacts (workspace_id, id, name) SELECT ws, id, 'customer ' || i FROM ct;
    CREATE TEMP TABLE iss ON COMMIT DROP AS SELECT i, woes.uuid_generate_v7() AS id FROM generate_series(1, issues) i;
    INSERT INTO woes.issues (workspace_id, id, provider, external_key, title)
        SELECT ws, id, 'linear', 'ENG-' || i, 'issue ' || i FROM iss;
    -- one statement per row would be slow; the triggers still run per row
    INSERT INTO woes.conversations (workspace_id, channel, contact_id, subject)
        SELECT ws, 'api', ct.id, 'bench ' || g
          FROM generate_series(1, conversations) g JOIN ct ON ct.i = 1 + g % contacts;
    CREATE TEMP TABLE cv ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY id) AS n, id FROM woes.conversations WHERE workspace_id = ws;
    INSERT INTO woes.conversation_issues (workspace_id, conversation_id, issue_id)
        SELECT ws, cv.id, iss.id FROM cv
          JOIN iss ON iss.i = 1 + floor(issues * power(((cv.n * 7919) % 10007) / 10007.0, 3))::int
        UNION
        SELECT ws, cv.id, iss.id FROM cv
          JOIN iss ON iss.i = 1 + (cv.n * 31) % issues
         WHERE cv.n % 3 = 0;
    UPDATE woes.conversations c SET status = 'resolved' FROM cv
     WHERE c.workspace_id = ws AND c.id = cv.id AND cv.n % 4 = 0;
END $$;
BEGIN;
SELECT bench.load(:'ws', :conversations, :contacts, :issues);
COMMIT;
BEGIN;
SELECT bench.load(:'other', :conversations / 10, :contacts / 10, :issues / 10);
COMMIT;
VACUUM ANALYZE;

-- Baseline of point_rls.sql: the same transaction run by a role that
-- bypasses row-level security (BYPASSRLS, member of woes_service), with the
-- workspace filter written out.  The only difference is RLS.
\set n random(1, :nids)
BEGIN;
SELECT woes.set_context(workspace_id, 'operator') FROM bench.ids WHERE n = :n;
SELECT c.* FROM bench.ids b JOIN woes.conversations c ON c.workspace_id = b.workspace_id AND c.id = b.id WHERE b.n = :n;
COMMIT;

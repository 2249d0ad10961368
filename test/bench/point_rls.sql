-- Point lookup of one conversation by id, under the context, with row-level
-- security (run as a role without BYPASSRLS, member of woes_service).
-- Pair: point_base.sql.  -D nids=<rows of bench.ids>
\set n random(1, :nids)
BEGIN;
SELECT woes.set_context(workspace_id, 'operator') FROM bench.ids WHERE n = :n;
SELECT c.* FROM bench.ids b JOIN woes.conversations c ON c.id = b.id WHERE b.n = :n;
COMMIT;

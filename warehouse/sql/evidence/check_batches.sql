-- Batches to re-check (newest $1): leaves, root and proof.
SELECT id::text AS batch_id, site_id::text AS site_id, root, leaves, leaf_count, ots, status
FROM evidence_batches ORDER BY created_at DESC LIMIT $1

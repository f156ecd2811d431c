-- Bundles whose chain hash is not the leaf their batch recorded for them (at most 50).
SELECT e.bundle_id, e.chain_seq, b.id::text AS batch_id, e.chain_hash, b.leaves[e.batch_index + 1] AS leaf
FROM evidence_bundles e JOIN evidence_batches b ON b.id = e.batch_id
WHERE e.chain_hash IS DISTINCT FROM b.leaves[e.batch_index + 1]
LIMIT 50

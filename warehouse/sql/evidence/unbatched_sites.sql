-- Sites with chained bundles not yet in a Merkle batch.
SELECT DISTINCT site_id FROM evidence_bundles WHERE batch_id IS NULL AND chain_seq IS NOT NULL ORDER BY site_id

-- The first chain seq of a site ($1) not yet batched.
SELECT min(chain_seq) FROM evidence_bundles WHERE site_id = $1 AND batch_id IS NULL AND chain_seq IS NOT NULL

-- The first chain seq of a site ($1) whose bundle was created at or after $2 (an export starts there).
SELECT min(chain_seq) FROM evidence_bundles WHERE site_id = $1 AND chain_seq IS NOT NULL AND created_at >= $2

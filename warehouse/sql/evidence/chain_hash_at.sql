-- The chain hash of a site's ($1) bundle at seq $2 (where a partial walk or export continues from).
SELECT chain_hash FROM evidence_bundles WHERE site_id = $1 AND chain_seq = $2

-- The site's ($1) new chain length ($2), head hash ($3) and newest bundle time ($4).
UPDATE evidence_chain_heads
SET length = $2, head_hash = $3, last_bundle_at = GREATEST(last_bundle_at, $4), updated_at = now()
WHERE site_id = $1

-- The site's ($1) chain head, if it has any evidence.
SELECT length, head_hash, last_bundle_at, updated_at FROM evidence_chain_heads WHERE site_id = $1

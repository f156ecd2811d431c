-- What the last walk of a site's ($1) new bundles found: checked up to $2, $3 breaks, the first ($4).
UPDATE evidence_chain_heads
SET checked_up_to = $2, breaks = $3, first_break = $4, checked_at = now()
WHERE site_id = $1

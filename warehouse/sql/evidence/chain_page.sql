-- One page of a site's ($1) chain from seq $2 on, at most $3 rows, in chain order.
SELECT chain_seq, bundle_id, appliance_id, prev_hash, chain_hash, signed
FROM evidence_bundles
WHERE site_id = $1 AND chain_seq >= $2
ORDER BY chain_seq
LIMIT $3

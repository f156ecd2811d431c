-- A site's ($1) chained bundles not yet batched, from seq $2 on, at most $3, in chain order.
SELECT chain_seq, bundle_id, appliance_id, prev_hash, chain_hash, signed
FROM evidence_bundles
WHERE site_id = $1 AND batch_id IS NULL AND chain_seq IS NOT NULL AND chain_seq >= $2
ORDER BY chain_seq
LIMIT $3

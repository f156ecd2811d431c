-- A site's ($1) chain from seq $2 to its head, exactly as stored.
SELECT chain_seq, bundle_id, prev_hash, chain_hash, signed
FROM evidence_bundles
WHERE site_id = $1 AND chain_seq >= $2
ORDER BY chain_seq

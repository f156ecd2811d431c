-- A site's ($1) chained bundles from seq $2 to $3 (at most $4), as the evidence stream announces them.
SELECT chain_seq, bundle_id, appliance_id, bundle_hash, chain_hash, created_at, received_at,
       payload->'bundle'->>'kind' AS kind, payload->'bundle'->>'check_type' AS check_type,
       payload->'bundle'->>'target' AS target, payload->'bundle'->>'result' AS result
FROM evidence_bundles
WHERE site_id = $1 AND chain_seq BETWEEN $2 AND $3
ORDER BY chain_seq
LIMIT $4

-- Chained bundles stored after ingest_seq $1 (at most $2), for the `evidence_bundles` mart.
SELECT ingest_seq, site_id::text AS site_id, bundle_id, chain_seq AS seq, appliance_id::text AS appliance_id,
       payload->'bundle'->>'kind' AS kind, payload->'bundle'->>'check_type' AS check_type,
       payload->'bundle'->>'target' AS target, payload->'bundle'->>'result' AS result,
       bundle_hash, chain_hash, created_at, received_at
FROM evidence_bundles
WHERE ingest_seq > $1 AND chain_seq IS NOT NULL
ORDER BY ingest_seq
LIMIT $2

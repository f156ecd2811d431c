-- The bundle id a site's ($1) batch recorded at seq $2: names a bundle deleted after batching.
SELECT bundle_ids[array_position(seqs, $2::bigint)] AS bundle_id, id AS batch_id
FROM evidence_batches
WHERE site_id = $1 AND seqs @> ARRAY[$2::bigint]
LIMIT 1

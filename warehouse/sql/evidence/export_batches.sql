-- Every batch of the site ($1) holding a bundle from seq $2 on, whole (all leaves), with its proof.
SELECT id, leaves, bundle_ids, ots, status
FROM evidence_batches
WHERE site_id = $1 AND last_seq >= $2
ORDER BY first_seq

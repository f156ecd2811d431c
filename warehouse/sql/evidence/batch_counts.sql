-- A site's ($1) batches by status, and how far its chain is anchored in Bitcoin.
SELECT count(*) AS batches,
       count(*) FILTER (WHERE status = 'unstamped') AS unstamped,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
       max(last_seq) AS batched_up_to,
       max(last_seq) FILTER (WHERE status = 'confirmed') AS confirmed_up_to,
       max(block_height) AS block_height
FROM evidence_batches WHERE site_id = $1

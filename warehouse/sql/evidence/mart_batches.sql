-- Every Merkle batch with its stamp, for the `evidence_batches` mart.
SELECT id::text AS batch_id, site_id::text AS site_id, first_seq, last_seq, leaf_count::bigint AS leaf_count, root,
       status, calendars, stamp_attempts::bigint AS stamp_attempts, upgrade_attempts::bigint AS upgrade_attempts,
       last_error, created_at, stamped_at, confirmed_at AS upgraded_at, confirmed_at,
       block_height::bigint AS block_height, block_time
FROM evidence_batches
ORDER BY site_id, first_seq

-- One row per site with evidence, for the `evidence_chain_status` mart: the chain, its batches and anchors.
SELECT h.site_id::text AS site_id, h.length AS bundles, h.length - 1 AS head_seq, h.head_hash, h.last_bundle_at,
       coalesce(b.batches, 0) AS batches, coalesce(b.stamped, 0) AS stamped, coalesce(b.unstamped, 0) AS unstamped,
       coalesce(b.pending, 0) AS pending, coalesce(b.confirmed, 0) AS confirmed,
       h.length - coalesce(b.batched, 0) AS unbatched, b.anchored_up_to, b.block_height, b.block_time,
       h.checked_up_to, h.breaks::bigint AS breaks,
       CASE WHEN h.checked_at IS NULL THEN NULL ELSE h.breaks = 0 END AS chain_ok, h.first_break, h.checked_at
FROM evidence_chain_heads h
LEFT JOIN (
    SELECT site_id, count(*) AS batches, sum(leaf_count) AS batched,
           count(*) FILTER (WHERE status <> 'unstamped') AS stamped,
           count(*) FILTER (WHERE status = 'unstamped') AS unstamped,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'confirmed') AS confirmed,
           max(last_seq) FILTER (WHERE status = 'confirmed') AS anchored_up_to,
           max(block_height)::bigint AS block_height, max(block_time) AS block_time
    FROM evidence_batches GROUP BY site_id
) b USING (site_id)
ORDER BY h.site_id

-- Stamped batches waiting for a Bitcoin attestation, longest waiting first (at most $1).
SELECT id, site_id, root, ots, first_seq, last_seq, leaf_count
FROM evidence_batches WHERE status = 'pending' ORDER BY stamped_at, id LIMIT $1

-- Batches no calendar has stamped yet, oldest first (at most $1).
SELECT id, site_id, root FROM evidence_batches WHERE status = 'unstamped' ORDER BY created_at, id LIMIT $1

-- Rows nobody handled ($1 seconds after arrival: a crash between the ingest's commit and its hook),
-- and heads claimed but never delivered ($2 seconds after the claim), oldest first, $3 at most.
SELECT id, dispatched_at IS NULL AS unclaimed FROM escalations
WHERE (dispatched_at IS NULL AND received_at < now() - make_interval(secs => $1))
   OR (status = 'open' AND grouped_into IS NULL AND notified_at IS NULL
       AND dispatched_at < now() - make_interval(secs => $2))
ORDER BY received_at
LIMIT $3

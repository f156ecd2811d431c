-- Heads still waiting for a channel, oldest first ($1 at most).
SELECT id FROM escalations
WHERE status = 'queued' AND grouped_into IS NULL
ORDER BY requested_at
LIMIT $1

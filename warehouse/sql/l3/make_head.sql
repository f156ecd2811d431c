-- Row $1 becomes the head of its incident's escalation ($2 dedup key).
UPDATE escalations SET dedup_key = $2, last_seen_at = requested_at
WHERE id = $1
RETURNING *

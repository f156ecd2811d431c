-- Claim a row for handling, once: a second claim (a replayed batch, a second worker) returns nothing.
UPDATE escalations SET dispatched_at = now()
WHERE id = $1 AND dispatched_at IS NULL
RETURNING *

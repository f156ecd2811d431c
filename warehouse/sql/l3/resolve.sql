-- Resolve head $1 by $2 (who or what); nothing when it is already resolved.
UPDATE escalations SET status = 'resolved', resolved_at = now(), resolved_by = $2
WHERE id = $1 AND status NOT IN ('resolved', 'grouped')
RETURNING *

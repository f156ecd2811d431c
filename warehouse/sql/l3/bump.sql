-- One more occurrence on head $1, seen at $2; the severity only ever rises ($3 is the new one's rank).
UPDATE escalations
SET occurrences = occurrences + 1,
    last_seen_at = greatest(coalesce(last_seen_at, requested_at), $2),
    severity = CASE WHEN $3 > (CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
                                            WHEN 'low' THEN 1 ELSE 2 END) THEN $4 ELSE severity END
WHERE id = $1
RETURNING *

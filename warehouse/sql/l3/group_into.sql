-- Fold row $1 into head $2 (a resolve request stays marked resolved).
UPDATE escalations
SET dedup_key = $3, grouped_into = $2, status = CASE WHEN status = 'resolved' THEN 'resolved' ELSE 'grouped' END
WHERE id = $1

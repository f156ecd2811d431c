-- After a trigger: head $1's status ($2: notified, failed, queued) and the channels that accepted ($3).
-- A head resolved while the trigger was on its way keeps 'resolved' (the caller then resolves those channels).
UPDATE escalations
SET status = CASE WHEN status = 'notified' AND $2 <> 'notified' THEN 'notified' ELSE $2 END,
    channels = ARRAY(SELECT DISTINCT unnest(channels || $3::text[]) ORDER BY 1),
    notified_at = CASE WHEN $2 = 'notified' THEN coalesce(notified_at, now()) ELSE notified_at END
WHERE id = $1 AND status NOT IN ('resolved', 'grouped')
RETURNING *

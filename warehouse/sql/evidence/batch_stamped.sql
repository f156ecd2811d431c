-- A batch ($1) got its proof ($2) from calendars $3 ($4: calendars that failed, or null).
UPDATE evidence_batches
SET status = 'pending', ots = $2, calendars = $3, last_error = $4, stamped_at = now(), last_attempt_at = now(),
    stamp_attempts = stamp_attempts + 1
WHERE id = $1 AND status = 'unstamped'

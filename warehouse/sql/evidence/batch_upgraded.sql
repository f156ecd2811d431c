-- The outcome of asking the calendars about batch $1: its proof ($2), status ($3), block ($4, $5), error ($6).
UPDATE evidence_batches
SET ots = $2, status = $3, block_height = $4, block_time = $5, last_error = $6, last_attempt_at = now(),
    upgrade_attempts = upgrade_attempts + 1,
    confirmed_at = CASE WHEN $3 = 'confirmed' THEN now() ELSE confirmed_at END
WHERE id = $1

-- No calendar stamped batch $1 this time ($2 says why); the next run tries again.
UPDATE evidence_batches
SET last_error = $2, last_attempt_at = now(), stamp_attempts = stamp_attempts + 1
WHERE id = $1

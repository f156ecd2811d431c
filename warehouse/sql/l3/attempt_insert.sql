-- Record one delivery attempt.
INSERT INTO escalation_attempts (escalation_id, channel, action, attempt, ok, retryable, status_code, response,
                                 error, retry_after_s, latency_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)

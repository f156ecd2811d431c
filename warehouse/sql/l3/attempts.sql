-- Every attempt for the escalations $1, oldest first.
SELECT escalation_id, channel, action, attempt, ok, retryable, status_code, response, error, retry_after_s,
       latency_ms, attempted_at
FROM escalation_attempts
WHERE escalation_id = ANY($1::uuid[])
ORDER BY escalation_id, id

-- Every delivery attempt on every channel, with the site of the escalation it was for.
CREATE OR REPLACE TABLE marts.escalation_attempts AS
SELECT
    CAST(a.escalation_id AS VARCHAR) AS escalation_id,
    CAST(e.site_id AS VARCHAR) AS site_id,
    a.channel,
    a.action,
    CAST(a.attempt AS BIGINT) AS attempt,
    a.ok,
    CAST(a.status_code AS BIGINT) AS status_code,
    a.error,
    CAST(a.latency_ms AS DOUBLE) AS latency_ms,
    a.attempted_at
FROM raw.escalation_attempts a
LEFT JOIN raw.escalations e ON e.id = a.escalation_id
ORDER BY a.attempted_at, a.id;

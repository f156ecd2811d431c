-- Escalation heads (repeats folded into them are counted in `occurrences`): the L3 queue and what
-- happened to each, from the latest snapshot of Postgres `escalations`.
CREATE OR REPLACE TABLE marts.escalations AS
SELECT
    CAST(id AS VARCHAR) AS escalation_id,
    CAST(site_id AS VARCHAR) AS site_id,
    incident_id,
    host,
    check_type,
    severity,
    reason,
    status,
    CAST(occurrences AS BIGINT) AS occurrences,
    coalesce(from_json(channels, '["VARCHAR"]'), []) AS channels,
    requested_at,
    notified_at,
    resolved_at
FROM raw.escalations
WHERE grouped_into IS NULL
ORDER BY requested_at, escalation_id;

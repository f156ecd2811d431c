-- One row per incident with its current state: the latest healing outcome decides it (healed:
-- resolved; escalated or suppressed as such; failed, planned or none yet: still open).
CREATE OR REPLACE TABLE marts.incidents AS
WITH final AS (
    SELECT * FROM staging.healing_outcomes
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY finished_at DESC, ingest_seq DESC) = 1
)
SELECT
    i.site_id,
    i.incident_id,
    i.host,
    i.check_type,
    i.severity,
    i.observed_at,
    CASE o.status WHEN 'healed' THEN 'resolved' WHEN 'escalated' THEN 'escalated'
                  WHEN 'suppressed' THEN 'suppressed' ELSE 'open' END AS status,
    o.tier,
    o.status AS outcome,
    CASE WHEN o.status = 'healed' THEN o.finished_at END AS resolved_at
FROM staging.incidents i
LEFT JOIN final o ON o.incident_id = i.incident_id
ORDER BY i.observed_at, i.incident_id;

-- Incidents, typed and deduplicated: one row per incident id (the latest report of it wins).
-- Unknown severities fall back to medium, as `contracts.incidents._safe_severity` does.
CREATE OR REPLACE TABLE staging.incidents AS
SELECT
    incident_id,
    event_id,
    site_id,
    appliance_id,
    host,
    check_type,
    lower(platform) AS platform,
    CASE WHEN lower(severity) IN ('low', 'medium', 'high', 'critical') THEN lower(severity)
         ELSE 'medium' END AS severity,
    pattern_signature,
    observed_at,
    CAST(json_extract(payload, '$.details') AS JSON) AS details,
    coalesce(from_json(json_extract(payload, '$.hipaa_controls'), '["VARCHAR"]'), []) AS hipaa_controls,
    received_at,
    ingest_seq
FROM raw.incidents
QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY ingest_seq DESC) = 1;

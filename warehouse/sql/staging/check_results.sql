-- Check results, typed and deduplicated by event id. Three states plus error; anything else is an
-- error (the check did not say pass, fail or not applicable).
CREATE OR REPLACE TABLE staging.check_results AS
SELECT
    event_id,
    site_id,
    appliance_id,
    host,
    check_type,
    lower(platform) AS platform,
    CASE WHEN lower(status) IN ('pass', 'fail', 'not_applicable', 'error') THEN lower(status)
         ELSE 'error' END AS status,
    CAST(json_extract(payload, '$.details') AS JSON) AS details,
    coalesce(from_json(json_extract(payload, '$.hipaa_controls'), '["VARCHAR"]'), []) AS hipaa_controls,
    observed_at,
    received_at,
    ingest_seq
FROM raw.check_results
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_seq DESC) = 1;

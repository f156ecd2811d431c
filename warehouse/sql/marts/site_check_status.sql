-- Site × check type: the latest result on each device, counted. The read API joins it with
-- `framework_controls` for the sites a caller may see.
CREATE OR REPLACE TABLE marts.site_check_status AS
WITH latest AS (
    SELECT * FROM staging.check_results
    QUALIFY row_number() OVER (PARTITION BY site_id, host, check_type
                               ORDER BY observed_at DESC, ingest_seq DESC) = 1
)
SELECT
    site_id,
    check_type,
    count(*) AS devices,
    count(*) FILTER (WHERE status = 'pass') AS passed,
    count(*) FILTER (WHERE status = 'fail') AS failed,
    count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
    count(*) FILTER (WHERE status = 'error') AS errors,
    max(observed_at) AS last_observed_at
FROM latest
GROUP BY site_id, check_type
ORDER BY site_id, check_type;

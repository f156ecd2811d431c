-- Site × UTC day × check type: how many checks ran and how many passed. The rate is pass over
-- pass + fail: "not applicable" and "error" say nothing about whether the device complies.
CREATE OR REPLACE TABLE marts.compliance_rates AS
SELECT
    site_id,
    CAST(observed_at AS DATE) AS day,
    check_type,
    count(*) AS checks,
    count(DISTINCT host) AS devices,
    count(*) FILTER (WHERE status = 'pass') AS passed,
    count(*) FILTER (WHERE status = 'fail') AS failed,
    count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
    count(*) FILTER (WHERE status = 'error') AS errors,
    CAST(passed AS DOUBLE) / nullif(passed + failed, 0) AS compliance_rate
FROM staging.check_results
GROUP BY site_id, day, check_type
ORDER BY site_id, day, check_type;

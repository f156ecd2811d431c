-- One row per device: the latest result of each of its checks, rolled up, plus what the network
-- scan knows of it. Devices only the scanner saw (printers, unmanaged PCs) appear with no checks.
CREATE OR REPLACE TABLE marts.device_compliance AS
WITH latest AS (
    SELECT * FROM staging.check_results
    QUALIFY row_number() OVER (PARTITION BY site_id, host, check_type
                               ORDER BY observed_at DESC, ingest_seq DESC) = 1
), checked AS (
    SELECT
        site_id,
        host,
        arg_max(platform, observed_at) AS platform,
        count(*) AS checks,
        count(*) FILTER (WHERE status = 'pass') AS passed,
        count(*) FILTER (WHERE status = 'fail') AS failed,
        count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
        count(*) FILTER (WHERE status = 'error') AS errors,
        coalesce(list(check_type ORDER BY check_type) FILTER (WHERE status = 'fail'), []) AS failing_checks,
        max(observed_at) AS last_checked_at
    FROM latest
    GROUP BY site_id, host
), scanned AS (
    SELECT site_id, host, ip, os, device_type, in_inventory, scanned_at
    FROM staging.device_scans
    QUALIFY row_number() OVER (PARTITION BY site_id, host ORDER BY scanned_at DESC, ingest_seq DESC) = 1
)
SELECT
    coalesce(c.site_id, s.site_id) AS site_id,
    coalesce(c.host, s.host) AS host,
    coalesce(c.platform, s.os) AS platform,
    s.ip,
    s.device_type,
    coalesce(s.in_inventory, true) AS in_inventory,
    coalesce(c.checks, 0) AS checks,
    coalesce(c.passed, 0) AS passed,
    coalesce(c.failed, 0) AS failed,
    coalesce(c.not_applicable, 0) AS not_applicable,
    coalesce(c.errors, 0) AS errors,
    CAST(c.passed AS DOUBLE) / nullif(c.passed + c.failed, 0) AS compliance_rate,
    -- NULL when nothing was checked: an unchecked device is unknown, not compliant.
    CASE WHEN c.checks IS NULL THEN NULL ELSE c.failed = 0 AND c.errors = 0 END AS compliant,
    coalesce(c.failing_checks, []) AS failing_checks,
    c.last_checked_at,
    s.scanned_at AS last_scanned_at
FROM checked c
FULL OUTER JOIN scanned s ON s.site_id = c.site_id AND s.host = c.host
ORDER BY site_id, host;

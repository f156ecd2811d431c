-- Site × device × check: the latest result.
CREATE OR REPLACE TABLE marts.device_checks AS
SELECT site_id, host, check_type, status, observed_at
FROM staging.check_results
QUALIFY row_number() OVER (PARTITION BY site_id, host, check_type ORDER BY observed_at DESC, ingest_seq DESC) = 1
ORDER BY site_id, host, check_type;

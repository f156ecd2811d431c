-- Installed software (CPE 2.3 names), deduplicated by event id.
CREATE OR REPLACE TABLE staging.software_inventory AS
SELECT
    event_id,
    site_id,
    appliance_id,
    host,
    cpe,
    product,
    version,
    observed_at,
    received_at,
    ingest_seq
FROM raw.software_inventory
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_seq DESC) = 1;

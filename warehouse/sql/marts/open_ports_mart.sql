-- The open ports of each device's latest scan (the `open_ports` query, published with the scan time).
CREATE OR REPLACE TABLE marts.open_ports AS
WITH latest AS (
    SELECT * FROM staging.device_scans
    QUALIFY row_number() OVER (PARTITION BY site_id, host ORDER BY scanned_at DESC, ingest_seq DESC) = 1
)
SELECT site_id, host, CAST(p.port AS BIGINT) AS port, coalesce(p.proto, 'tcp') AS proto,
       coalesce(p.service, '') AS service, coalesce(p.product, '') AS product, scanned_at
FROM latest, unnest(open_ports) AS t(p)
ORDER BY site_id, host, port, proto;

-- The open ports of each device's latest scan, one row per port.
WITH latest AS (
    SELECT * FROM staging.device_scans
    QUALIFY row_number() OVER (PARTITION BY site_id, host ORDER BY scanned_at DESC, ingest_seq DESC) = 1
)
SELECT site_id, host, p.port AS port, coalesce(p.proto, 'tcp') AS proto, coalesce(p.service, '') AS service,
       coalesce(p.product, '') AS product
FROM latest, unnest(open_ports) AS t(p)

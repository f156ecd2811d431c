-- Network scans, typed and deduplicated by event id, with nmap's open ports as a typed list.
CREATE OR REPLACE TABLE staging.device_scans AS
SELECT
    event_id,
    site_id,
    appliance_id,
    host,
    ip,
    mac,
    os,
    device_type,
    in_inventory,
    coalesce(from_json(json_extract(payload, '$.open_ports'),
                       '[{"port": "INTEGER", "proto": "VARCHAR", "service": "VARCHAR",
                          "product": "VARCHAR", "version": "VARCHAR"}]'), []) AS open_ports,
    scanned_at,
    received_at,
    ingest_seq
FROM raw.device_scans
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_seq DESC) = 1;

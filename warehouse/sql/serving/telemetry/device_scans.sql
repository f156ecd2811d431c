-- Merge device scans ($1 site, $2 appliance) from telemetry_source.
INSERT INTO device_scans (event_id, site_id, appliance_id, host, ip, mac, os, device_type, in_inventory,
                          scanned_at, payload)
SELECT s.event_id, $1, $2, s.payload->>'host', s.payload->>'ip', s.payload->>'mac', s.payload->>'os',
       s.payload->>'device_type', (s.payload->>'in_inventory')::boolean,
       (s.payload->>'scanned_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

-- Merge software inventory items ($1 site, $2 appliance) from telemetry_source.
INSERT INTO software_inventory (event_id, site_id, appliance_id, host, cpe, product, version, observed_at,
                                payload)
SELECT s.event_id, $1, $2, s.payload->>'host', s.payload->>'cpe', s.payload->>'product',
       s.payload->>'version', (s.payload->>'observed_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

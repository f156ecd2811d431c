-- Merge raw signed evidence ($1 site, $2 appliance) from telemetry_source; verification comes later.
INSERT INTO evidence_bundles (event_id, bundle_id, site_id, appliance_id, payload)
SELECT s.event_id, coalesce(s.payload->'bundle'->>'bundle_id', s.payload->>'bundle_id', s.event_id), $1, $2,
       s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

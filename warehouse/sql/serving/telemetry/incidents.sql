-- Merge incidents ($1 site, $2 appliance from the API key) from telemetry_source.
INSERT INTO incidents (event_id, incident_id, site_id, appliance_id, host, check_type, platform, severity,
                       pattern_signature, observed_at, payload)
SELECT s.event_id, s.payload->>'incident_id', $1, $2, s.payload->>'host', s.payload->>'check_type',
       s.payload->>'platform', s.payload->>'severity', s.payload->>'pattern_signature',
       (s.payload->>'observed_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

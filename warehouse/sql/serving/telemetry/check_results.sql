-- Merge check results ($1 site, $2 appliance) from telemetry_source.
INSERT INTO check_results (event_id, site_id, appliance_id, host, check_type, platform, status, observed_at,
                           payload)
SELECT s.event_id, $1, $2, s.payload->>'host', s.payload->>'check_type', s.payload->>'platform',
       s.payload->>'status', (s.payload->>'observed_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

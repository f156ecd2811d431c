-- Merge escalation requests ($1 site, $2 appliance) from telemetry_source; they wait as 'open'.
INSERT INTO escalations (event_id, site_id, appliance_id, incident_id, host, check_type, severity, reason,
                         pattern_signature, details, status, requested_at, resolved_at, payload)
SELECT s.event_id, $1, $2, s.payload->>'incident_id', s.payload->>'host', s.payload->>'check_type',
       s.payload->>'severity', s.payload->>'reason', s.payload->>'pattern_signature', s.payload->'details',
       CASE WHEN (s.payload->>'resolved')::boolean THEN 'resolved' ELSE 'open' END,
       (s.payload->>'requested_at')::timestamptz,
       CASE WHEN (s.payload->>'resolved')::boolean THEN now() END,
       s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

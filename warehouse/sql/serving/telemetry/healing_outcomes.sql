-- Merge healing outcomes ($1 site, $2 appliance) from telemetry_source.
INSERT INTO healing_outcomes (event_id, incident_id, site_id, appliance_id, host, tier, status, runbook_id,
                              rule_id, decision_id, pattern_signature, duration_ms, error, finished_at,
                              payload)
SELECT s.event_id, s.payload->>'incident_id', $1, $2, s.payload->>'host', s.payload->>'tier',
       s.payload->>'status', s.payload->>'runbook_id', s.payload->>'rule_id', s.payload->>'decision_id',
       s.payload->>'pattern_signature', (s.payload->>'duration_ms')::double precision, s.payload->>'error',
       (s.payload->>'finished_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

-- Merge shadow-rule matches ($1 site, $2 appliance) from telemetry_source.
INSERT INTO shadow_matches (event_id, site_id, appliance_id, incident_id, rule_id, runbook_id,
                            pattern_signature, matched_at, payload)
SELECT s.event_id, $1, $2, s.payload->>'incident_id', s.payload->>'rule_id', s.payload->>'runbook_id',
       s.payload->>'pattern_signature', (s.payload->>'matched_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

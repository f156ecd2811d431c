-- Merge order results ($1 site, $2 appliance) from telemetry_source.
INSERT INTO order_results (event_id, order_id, site_id, appliance_id, status, detail, finished_at, payload)
SELECT s.event_id, (s.payload->>'order_id')::uuid, $1, $2, s.payload->>'status', s.payload->>'detail',
       (s.payload->>'finished_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

-- Merge L2 decisions ($1 site, $2 appliance) from telemetry_source.
INSERT INTO l2_decisions (event_id, decision_id, incident_id, site_id, appliance_id, runbook_id, confidence,
                          requires_human_review, pattern_signature, provider, model, input_tokens,
                          output_tokens, cost_usd, latency_ms, decided_at, payload)
SELECT s.event_id, s.payload->>'decision_id', s.payload->>'incident_id', $1, $2, s.payload->>'runbook_id',
       (s.payload->>'confidence')::double precision, (s.payload->>'requires_human_review')::boolean,
       s.payload->>'pattern_signature', s.payload->>'provider', s.payload->>'model',
       (s.payload->>'input_tokens')::integer, (s.payload->>'output_tokens')::integer,
       (s.payload->>'cost_usd')::double precision, (s.payload->>'latency_ms')::double precision,
       (s.payload->>'decided_at')::timestamptz, s.payload
FROM telemetry_source s
ON CONFLICT DO NOTHING
RETURNING event_id

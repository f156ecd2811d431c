-- Record one decision made here ($1 event id … $21 fallback reason); the appliance's telemetry copy of
-- it is then a duplicate by decision_id.
INSERT INTO l2_decisions (event_id, decision_id, incident_id, site_id, appliance_id, runbook_id, confidence,
                          requires_human_review, pattern_signature, provider, model, input_tokens,
                          output_tokens, cost_usd, latency_ms, decided_at, payload, guardrails, facts,
                          origin, fallback_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
ON CONFLICT DO NOTHING

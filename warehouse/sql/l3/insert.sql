-- An escalation request ($1 event id, may be null for ones raised here); a replayed event id adds nothing.
INSERT INTO escalations (event_id, site_id, appliance_id, incident_id, host, check_type, severity, reason,
                         pattern_signature, details, status, requested_at, resolved_at, payload)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, CASE WHEN $11 THEN 'resolved' ELSE 'open' END, $12,
        CASE WHEN $11 THEN now() END, $13)
ON CONFLICT (event_id) DO NOTHING
RETURNING id

-- One audit record: a stage change, demotion, pin, veto or its withdrawal, with its evidence.
INSERT INTO rule_audit (rule_id, pattern_signature, runbook_id, action, from_status, to_status, reason, evidence, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, ($8::text)::jsonb, $9)
RETURNING id

-- A newly promoted rule enters at its first stage; an existing id is left alone (returns nothing).
INSERT INTO rules (rule_id, rule, status, source, pattern_signature, runbook_id, sites, provenance, reason)
VALUES ($1, ($2::text)::jsonb, $3, 'promoted', $4, $5, $6::text[], ($7::text)::jsonb, $8)
ON CONFLICT (rule_id) DO NOTHING
RETURNING rule_id

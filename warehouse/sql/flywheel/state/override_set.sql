-- Pin or veto a candidate ($3 'pin' | 'veto'), replacing any earlier word on it.
INSERT INTO candidate_overrides (pattern_signature, runbook_id, action, reason, actor)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (pattern_signature, runbook_id) DO UPDATE SET
    action = EXCLUDED.action, reason = EXCLUDED.reason, actor = EXCLUDED.actor, created_at = now()
RETURNING pattern_signature, runbook_id, action, reason, actor, created_at

-- Every admin pin and veto.
SELECT pattern_signature, runbook_id, action, reason, actor, created_at FROM candidate_overrides

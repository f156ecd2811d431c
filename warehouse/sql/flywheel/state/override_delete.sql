-- Withdraw the pin or veto on a candidate.
DELETE FROM candidate_overrides WHERE pattern_signature = $1 AND runbook_id = $2 RETURNING action

-- The free text of L2 telemetry that must never carry PHI (it left the device scrubbed).
SELECT decision_id, site_id, reasoning, CAST(guardrails AS VARCHAR) AS guardrails
FROM staging.l2_decisions

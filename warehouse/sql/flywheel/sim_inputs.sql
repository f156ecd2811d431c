-- `osiris flywheel simulate`: the same two inputs as `flywheel/inputs`, built from a JSONL history
-- (loaded as `flywheel.history`, one row per decision with its incident's facts and outcome). The
-- history's decisions are all the incidents there are, so each one is also an outcome.
CREATE OR REPLACE TABLE flywheel.decisions AS
SELECT decision_id, incident_id, site_id, runbook_id, confidence, requires_human_review,
       pattern_signature, cost_usd, latency_ms, decided_at, success, check_type, platform
FROM flywheel.history
WHERE runbook_id IS NOT NULL;

CREATE OR REPLACE TABLE flywheel.outcomes AS
SELECT incident_id, site_id, check_type, platform, severity, pattern_signature, details,
       runbook_id, success, 'L2' AS tier
FROM flywheel.history;

-- The last evaluation of each (pattern_signature, runbook_id), from the snapshot of `rule_candidates`.
-- `reasons` stays the JSON list the flywheel wrote, as text.
CREATE OR REPLACE TABLE marts.flywheel_candidates AS
SELECT
    pattern_signature, runbook_id, check_type, platform,
    CAST(n AS BIGINT) AS n,
    CAST(successes AS BIGINT) AS successes,
    wilson_lower, wilson_upper,
    CAST(sites AS BIGINT) AS sites,
    human_review_share, monthly_cost_usd, rule_id, verdict,
    CAST(reasons AS VARCHAR) AS reasons,
    evaluated_at
FROM raw.rule_candidates
ORDER BY wilson_lower DESC, pattern_signature, runbook_id;

-- Promotion candidates: verified L2 decisions grouped by (pattern_signature, runbook_id), with the
-- Wilson score interval (95 %, z = 1.959964) of the success rate, distinct sites, human-review
-- share, and what L1 would save per month if it took these decisions over (L2 cost and latency).
-- Monthly figures: n / (days between the first and last decision, at least 1) x 30; null when the
-- decisions carry no times. Portable SQL: the benchmark runs this very text on DuckDB and Postgres.
WITH grouped AS (
    SELECT
        pattern_signature,
        runbook_id,
        min(check_type) AS check_type,
        min(platform) AS platform,
        count(*) AS n,
        count(*) FILTER (WHERE success) AS successes,
        count(DISTINCT site_id) AS sites,
        avg(CASE WHEN requires_human_review THEN 1.0 ELSE 0.0 END) AS human_review_share,
        avg(confidence) AS mean_confidence,
        sum(cost_usd) AS cost_usd,
        sum(latency_ms) AS latency_ms,
        min(decided_at) AS first_seen,
        max(decided_at) AS last_seen
    FROM flywheel.decisions
    WHERE runbook_id IS NOT NULL AND success IS NOT NULL
    GROUP BY pattern_signature, runbook_id
),
rated AS (
    SELECT
        *,
        CAST(successes AS DOUBLE PRECISION) / n AS p,
        3.841458820694124 / n AS z2n,
        CASE WHEN first_seen IS NULL THEN NULL
             ELSE greatest((extract(epoch FROM last_seen) - extract(epoch FROM first_seen)) / 86400.0, 1.0)
        END AS span_days
    FROM grouped
)
SELECT
    pattern_signature,
    runbook_id,
    check_type,
    platform,
    n,
    successes,
    p AS success_rate,
    (p + z2n / 2 - 1.959963984540054 * sqrt(p * (1 - p) / n + z2n / (4 * n))) / (1 + z2n) AS wilson_lower,
    (p + z2n / 2 + 1.959963984540054 * sqrt(p * (1 - p) / n + z2n / (4 * n))) / (1 + z2n) AS wilson_upper,
    sites,
    human_review_share,
    mean_confidence,
    n * 30.0 / span_days AS monthly_decisions,
    cost_usd * 30.0 / span_days AS monthly_cost_usd,
    latency_ms * 30.0 / span_days / 1000.0 AS monthly_latency_s,
    first_seen,
    last_seen
FROM rated
ORDER BY wilson_lower DESC, n DESC, pattern_signature, runbook_id;

-- Site × UTC day × provider × model: what the L2 planner cost and how fast it answered.
CREATE OR REPLACE TABLE marts.l2_costs AS
SELECT
    site_id,
    CAST(decided_at AS DATE) AS day,
    provider,
    coalesce(model, '') AS model,
    count(*) AS decisions,
    CAST(sum(input_tokens) AS BIGINT) AS input_tokens,
    CAST(sum(output_tokens) AS BIGINT) AS output_tokens,
    sum(cost_usd) AS cost_usd,
    avg(cost_usd) AS mean_cost_usd,
    avg(latency_ms) AS mean_latency_ms,
    quantile_cont(latency_ms, 0.95) AS p95_latency_ms,
    count(*) FILTER (WHERE requires_human_review) AS human_reviews
FROM staging.l2_decisions
GROUP BY site_id, day, provider, model
ORDER BY site_id, day, provider, model;

-- Site × confidence decile: how often an L2 decision of that confidence ended healed (the final
-- outcome of its incident). A calibrated planner's success rate rises with its confidence.
CREATE OR REPLACE TABLE marts.l2_confidence AS
WITH final AS (
    SELECT * FROM staging.healing_outcomes
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY finished_at DESC, ingest_seq DESC) = 1
)
SELECT
    d.site_id,
    -- [0.0, 0.1), …, [0.9, 1.0]: a confidence of exactly 1 belongs to the top decile.
    least(floor(d.confidence * 10), 9) / 10 AS confidence_bucket,
    count(*) AS decisions,
    avg(d.confidence) AS mean_confidence,
    count(o.event_id) AS with_outcome,
    count(*) FILTER (WHERE o.status = 'healed') AS healed,
    count(*) FILTER (WHERE o.status = 'failed') AS failed,
    count(*) FILTER (WHERE o.status = 'escalated') AS escalated,
    count(*) FILTER (WHERE d.requires_human_review) AS human_reviews,
    CAST(healed AS DOUBLE) / nullif(with_outcome, 0) AS success_rate
FROM staging.l2_decisions d
LEFT JOIN final o ON o.incident_id = d.incident_id
GROUP BY d.site_id, confidence_bucket
ORDER BY d.site_id, confidence_bucket;

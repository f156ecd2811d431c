-- Site × week (Monday, UTC) × tier: which tier finally handled each incident (its latest outcome)
-- and that tier's share of the site's incidents that week. Fleet shares: sum incidents over sites.
CREATE OR REPLACE TABLE marts.tier_distribution AS
WITH final AS (
    SELECT * FROM staging.healing_outcomes
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY finished_at DESC, ingest_seq DESC) = 1
), weekly AS (
    SELECT
        site_id,
        CAST(date_trunc('week', finished_at) AS DATE) AS week,
        tier,
        count(*) AS incidents,
        count(*) FILTER (WHERE status = 'healed') AS healed,
        avg(duration_ms) AS mean_duration_ms
    FROM final
    GROUP BY site_id, week, tier
)
SELECT
    site_id, week, tier, incidents, healed, mean_duration_ms,
    incidents / sum(incidents) OVER (PARTITION BY site_id, week) AS share
FROM weekly
ORDER BY site_id, week, tier;

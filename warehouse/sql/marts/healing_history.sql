-- Every healing outcome: which tier, runbook or rule, how it ended and how long it took.
CREATE OR REPLACE TABLE marts.healing_history AS
SELECT site_id, host, incident_id, tier, status, runbook_id, rule_id,
       CAST(duration_ms AS DOUBLE) AS duration_ms, finished_at
FROM staging.healing_outcomes
ORDER BY finished_at, event_id;

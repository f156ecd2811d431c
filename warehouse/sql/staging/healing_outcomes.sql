-- Healing outcomes, typed and deduplicated by event id. Tier and status are normalised; a tier
-- nobody knows counts as L3 (a human had to look), never silently as automation.
CREATE OR REPLACE TABLE staging.healing_outcomes AS
SELECT
    event_id,
    incident_id,
    site_id,
    appliance_id,
    host,
    CASE WHEN upper(tier) IN ('L1', 'L2', 'L3') THEN upper(tier) ELSE 'L3' END AS tier,
    lower(status) AS status,
    runbook_id,
    rule_id,
    decision_id,
    pattern_signature,
    duration_ms,
    error,
    finished_at,
    received_at,
    ingest_seq
FROM raw.healing_outcomes
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY ingest_seq DESC) = 1;

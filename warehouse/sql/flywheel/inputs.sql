-- The flywheel's two inputs, rebuilt from staging (`osiris flywheel simulate` builds the same two
-- tables from a JSONL history instead; everything after this file is one code path):
--   flywheel.outcomes   one row per incident: its facts and its verified outcome, if any (any tier)
--   flywheel.decisions  one row per L2 decision whose runbook ran and was verified (healed / failed)
-- "Verified" means the closed-loop re-check decided it: only healed and failed count.
CREATE SCHEMA IF NOT EXISTS flywheel;

CREATE OR REPLACE TABLE flywheel.outcomes AS
WITH verified AS (
    SELECT incident_id, runbook_id, tier, rule_id, decision_id, status = 'healed' AS success
    FROM staging.healing_outcomes
    WHERE status IN ('healed', 'failed') AND runbook_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY incident_id ORDER BY finished_at DESC, ingest_seq DESC) = 1
)
SELECT
    i.incident_id,
    CAST(i.site_id AS VARCHAR) AS site_id,
    i.check_type,
    i.platform,
    i.severity,
    i.pattern_signature,
    coalesce(CAST(i.details AS VARCHAR), '{}') AS details,
    v.runbook_id,
    v.success,
    v.tier
FROM staging.incidents i
LEFT JOIN verified v USING (incident_id);

CREATE OR REPLACE TABLE flywheel.decisions AS
WITH verified AS (
    SELECT decision_id, status = 'healed' AS success
    FROM staging.healing_outcomes
    WHERE status IN ('healed', 'failed') AND decision_id IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY decision_id ORDER BY finished_at DESC, ingest_seq DESC) = 1
)
SELECT
    d.decision_id,
    d.incident_id,
    CAST(d.site_id AS VARCHAR) AS site_id,
    d.runbook_id,
    d.confidence,
    d.requires_human_review,
    d.pattern_signature,
    d.cost_usd,
    d.latency_ms,
    d.decided_at,
    v.success,
    coalesce(i.check_type, '') AS check_type,
    coalesce(i.platform, '') AS platform
FROM staging.l2_decisions d
JOIN verified v USING (decision_id)
LEFT JOIN staging.incidents i USING (incident_id)
WHERE d.runbook_id IS NOT NULL;

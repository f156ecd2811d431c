-- Before the first ingest (no staging tables yet) the flywheel has nothing to learn from: empty
-- inputs with the columns `flywheel/inputs` builds, so every later step runs and finds no candidates.
CREATE SCHEMA IF NOT EXISTS flywheel;

CREATE OR REPLACE TABLE flywheel.outcomes (
    incident_id VARCHAR, site_id VARCHAR, check_type VARCHAR, platform VARCHAR, severity VARCHAR,
    pattern_signature VARCHAR, details VARCHAR, runbook_id VARCHAR, success BOOLEAN, tier VARCHAR
);

CREATE OR REPLACE TABLE flywheel.decisions (
    decision_id VARCHAR, incident_id VARCHAR, site_id VARCHAR, runbook_id VARCHAR, confidence DOUBLE,
    requires_human_review BOOLEAN, pattern_signature VARCHAR, cost_usd DOUBLE, latency_ms DOUBLE,
    decided_at TIMESTAMPTZ, success BOOLEAN, check_type VARCHAR, platform VARCHAR
);

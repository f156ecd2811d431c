-- Every promotion, stage change, demotion, pin and veto, with its evidence (JSON text).
CREATE OR REPLACE TABLE marts.flywheel_audit AS
SELECT
    CAST(id AS BIGINT) AS id,
    rule_id, action, from_status, to_status, reason,
    CAST(evidence AS VARCHAR) AS evidence,
    actor,
    CAST(bundle_version AS BIGINT) AS bundle_version,
    created_at
FROM raw.rule_audit
ORDER BY id;

-- L2 decisions, typed and deduplicated by decision id; the free-text reasoning comes out of the
-- payload because the PHI check and the flywheel read it.
CREATE OR REPLACE TABLE staging.l2_decisions AS
SELECT
    decision_id,
    event_id,
    incident_id,
    site_id,
    appliance_id,
    runbook_id,
    greatest(0.0, least(1.0, confidence)) AS confidence,
    requires_human_review,
    pattern_signature,
    provider,
    model,
    input_tokens,
    output_tokens,
    cost_usd,
    latency_ms,
    coalesce(json_extract_string(payload, '$.reasoning'), '') AS reasoning,
    CAST(json_extract(payload, '$.guardrails') AS JSON) AS guardrails,
    decided_at,
    received_at,
    ingest_seq
FROM raw.l2_decisions
QUALIFY row_number() OVER (PARTITION BY decision_id ORDER BY ingest_seq DESC) = 1;

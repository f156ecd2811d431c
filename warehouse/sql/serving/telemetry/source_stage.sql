-- Prefix for a merge statement: this batch's staged events of one kind ($3). MATERIALIZED parses
-- each payload once instead of once per column that reads it.
WITH telemetry_source AS MATERIALIZED (
    SELECT event_id, payload::jsonb AS payload FROM telemetry_stage WHERE kind = $3
)

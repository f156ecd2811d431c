-- Prefix for a merge statement: one event given as parameters (the row-by-row baseline).
WITH telemetry_source AS (SELECT $3::text AS event_id, $4::text::jsonb AS payload)

-- The per-connection staging table a batch is COPYed into; emptied at every commit. The payload is
-- staged as text because asyncpg's binary COPY has no jsonb encoder; merges parse it once.
CREATE TEMP TABLE IF NOT EXISTS telemetry_stage (
    event_id  text NOT NULL,
    kind      text NOT NULL,
    payload   text NOT NULL
) ON COMMIT DELETE ROWS

-- The warehouse layers, and the extraction cursors. Raw tables themselves are created from the
-- Postgres catalog on first extraction (warehouse.ingest), so a new telemetry column flows through.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS feeds;
CREATE SCHEMA IF NOT EXISTS marts;

-- One row per extracted source: the highest Postgres `ingest_seq` loaded (telemetry tables), or
-- the newest `lastModified` seen (the NVD feed). Updated in the same transaction as the rows.
CREATE TABLE IF NOT EXISTS raw._cursors (
    table_name     VARCHAR PRIMARY KEY,
    last_seq       BIGINT NOT NULL DEFAULT 0,
    last_modified  TIMESTAMPTZ,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Telemetry merges run one at a time, so ingest_seq values become visible in commit order and the
-- warehouse can extract `WHERE ingest_seq > last_seen` without ever skipping a late commit.
SELECT pg_advisory_xact_lock(hashtext('osiris.telemetry_ingest'))

-- The escalation rows the telemetry ingest just stored for these event ids ($1), in arrival order.
SELECT id FROM escalations WHERE event_id = ANY($1::text[]) ORDER BY ingest_seq

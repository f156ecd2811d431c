-- Template: {table} is a quoted identifier from the fixed list of telemetry tables.
SELECT coalesce(max(ingest_seq), 0) FROM {table}

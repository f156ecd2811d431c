-- Template: {table} is a checked identifier.
SELECT coalesce(max(ingest_seq), 0), count(*) FROM raw.{table}

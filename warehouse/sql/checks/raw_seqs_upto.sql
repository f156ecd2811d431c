-- Template: {table} is a checked identifier.
SELECT ingest_seq FROM raw.{table} WHERE ingest_seq <= $upto

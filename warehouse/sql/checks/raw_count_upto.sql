-- Template: {table} is a checked identifier.
SELECT count(*) FROM raw.{table} WHERE ingest_seq <= $upto

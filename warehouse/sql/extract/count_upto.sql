-- Template: {table} is a quoted identifier.
SELECT count(*) FROM {table} WHERE ingest_seq <= $1

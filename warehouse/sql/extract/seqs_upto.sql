-- Template: {table} is a quoted identifier. Every ingest_seq up to a cursor, for reconciliation.
SELECT ingest_seq FROM {table} WHERE ingest_seq <= $1 ORDER BY ingest_seq

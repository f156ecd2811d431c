-- Template: {columns} and {table} are identifiers and casts built from the catalog, never input.
SELECT {columns} FROM {table}
WHERE ingest_seq > $1 AND ingest_seq <= $2
ORDER BY ingest_seq
LIMIT $3

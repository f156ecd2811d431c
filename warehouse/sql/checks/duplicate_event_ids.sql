-- Template: {table} is a checked identifier. Event ids loaded more than once, with where.
SELECT event_id, count(*) AS copies, list(ingest_seq ORDER BY ingest_seq) AS ingest_seqs
FROM raw.{table}
GROUP BY event_id
HAVING count(*) > 1
ORDER BY copies DESC, event_id

-- The newest head of this site's ($1) incident ($2), whatever its status, other than row $3.
SELECT * FROM escalations
WHERE site_id = $1 AND dedup_key = $2 AND grouped_into IS NULL AND id <> $3
ORDER BY requested_at DESC, ingest_seq DESC
LIMIT 1

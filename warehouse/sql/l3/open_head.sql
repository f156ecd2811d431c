-- The open escalation that repeats of this site's ($1) incident ($2) fold into, other than row $3.
SELECT * FROM escalations
WHERE site_id = $1 AND dedup_key = $2 AND grouped_into IS NULL AND status NOT IN ('resolved', 'grouped')
  AND id <> $3
ORDER BY requested_at, ingest_seq
LIMIT 1
FOR UPDATE

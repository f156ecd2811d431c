-- Escalation heads (repeats folded in), newest first: $1 sites (null = all), $2 status (null = any),
-- $3 limit, $4 offset.
SELECT e.id, e.site_id, s.name AS site_name, e.appliance_id, e.incident_id, e.dedup_key, e.host, e.check_type,
       e.severity, e.reason, e.pattern_signature, e.details, e.status, e.occurrences, e.channels,
       e.requested_at, e.last_seen_at, e.notified_at, e.resolved_at, e.resolved_by
FROM escalations e
JOIN sites s ON s.id = e.site_id
WHERE e.grouped_into IS NULL AND e.status <> 'grouped'
  AND ($1::uuid[] IS NULL OR e.site_id = ANY($1::uuid[]))
  AND ($2::text IS NULL OR e.status = $2)
ORDER BY e.requested_at DESC, e.ingest_seq DESC
LIMIT $3 OFFSET $4

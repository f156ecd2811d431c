-- Move a rule to its next stage only if it is still where the caller saw it ($7), so a concurrent
-- veto and a pipeline run cannot both win. Null $3 / $5 keep the sites / provenance as they were.
UPDATE rules SET
    status = $2,
    sites = CASE WHEN $8 THEN $3::text[] ELSE sites END,
    provenance = coalesce(($5::text)::jsonb, provenance),
    rule = coalesce(($4::text)::jsonb, rule),
    reason = $6,
    status_since = now(),
    updated_at = now()
WHERE rule_id = $1 AND status = $7
RETURNING rule_id

-- Rules Central Command manages ($1 statuses or null for all), as text JSON for any codec setup.
SELECT rule_id, rule::text AS rule, status, source, pattern_signature, runbook_id, sites,
       provenance::text AS provenance, reason, status_since, created_at, updated_at
FROM rules
WHERE $1::text[] IS NULL OR status = ANY($1::text[])
ORDER BY rule_id

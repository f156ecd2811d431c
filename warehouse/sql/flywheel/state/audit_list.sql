-- Audit records newest first; $1 a rule id or null, $2 limit.
SELECT id, rule_id, pattern_signature, runbook_id, action, from_status, to_status, reason,
       evidence::text AS evidence, actor, bundle_version, created_at
FROM rule_audit
WHERE $1::text IS NULL OR rule_id = $1::text
ORDER BY id DESC
LIMIT $2

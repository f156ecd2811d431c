-- The newest bundle, envelope included (what GET /api/agent/sync serves).
SELECT version, digest, envelope, key_id, rule_count, issued_at, expires_at
FROM rule_bundles
ORDER BY version DESC
LIMIT 1

-- Published bundles, newest first, without envelopes.
SELECT version, digest, key_id, rule_count, issued_at, expires_at
FROM rule_bundles
ORDER BY version DESC
LIMIT $1

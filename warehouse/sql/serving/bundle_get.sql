-- One published bundle by version, without its envelope.
SELECT version, digest, key_id, rule_count, issued_at, expires_at
FROM rule_bundles
WHERE version = $1

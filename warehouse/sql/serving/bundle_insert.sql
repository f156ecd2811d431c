-- Record a signed bundle as the next version; the caller holds the bundle lock.
INSERT INTO rule_bundles (version, digest, envelope, key_id, rule_count, issued_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING version

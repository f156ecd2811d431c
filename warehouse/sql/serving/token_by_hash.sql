-- A role token by its SHA-256; revoked tokens are not returned.
SELECT id, role, site_ids, token_hash
FROM api_tokens
WHERE token_hash = $1 AND revoked_at IS NULL

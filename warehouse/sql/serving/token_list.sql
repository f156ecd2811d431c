-- Every token, newest first, without hashes.
SELECT id, role, site_ids, name, created_at, revoked_at
FROM api_tokens
ORDER BY created_at DESC

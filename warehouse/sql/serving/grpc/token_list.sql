-- A site's enrollment tokens, newest first (never their secrets).
SELECT id, site_id, appliance_id, name, created_by, created_at, expires_at, used_at, used_by_appliance_id
FROM enrollment_tokens
WHERE site_id = $1
ORDER BY created_at DESC, id
LIMIT $2

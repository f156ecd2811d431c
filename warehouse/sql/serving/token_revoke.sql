-- Revoke a token; returns it when it existed and was live.
UPDATE api_tokens SET revoked_at = now()
WHERE id = $1 AND revoked_at IS NULL
RETURNING id

-- Why a token could not be spent: used, expired, or its site deleted (no row: never issued).
SELECT t.used_at IS NOT NULL AS used, t.expires_at <= now() AS expired, s.deleted_at IS NOT NULL AS site_deleted
FROM enrollment_tokens t
JOIN sites s ON s.id = t.site_id
WHERE t.token_hash = $1

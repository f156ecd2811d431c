-- Spend a token: only an unused, unexpired token of a live site; returns what it enrolls.
UPDATE enrollment_tokens t
SET used_at = now()
FROM sites s
WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > now()
  AND s.id = t.site_id AND s.deleted_at IS NULL
RETURNING t.id, t.site_id, t.appliance_id, t.name

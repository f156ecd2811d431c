-- Withdraw an unused token of a site by expiring it now; returns it (nothing when not that site's).
UPDATE enrollment_tokens
SET expires_at = least(expires_at, now())
WHERE id = $2 AND site_id = $1
RETURNING id, site_id, appliance_id, name, created_by, created_at, expires_at, used_at, used_by_appliance_id

-- Issue an enrollment token for a live site (and, optionally, one of its live appliances).
-- Returns nothing when the site is deleted or the appliance is not that site's or is revoked.
INSERT INTO enrollment_tokens (site_id, appliance_id, name, token_hash, created_by, expires_at)
SELECT s.id, $2, $3, $4, $5, now() + make_interval(secs => $6)
FROM sites s
WHERE s.id = $1 AND s.deleted_at IS NULL
  AND ($2::uuid IS NULL OR EXISTS (
        SELECT 1 FROM appliances a WHERE a.id = $2 AND a.site_id = s.id AND NOT a.revoked))
RETURNING id, site_id, appliance_id, name, created_by, created_at, expires_at, used_at, used_by_appliance_id

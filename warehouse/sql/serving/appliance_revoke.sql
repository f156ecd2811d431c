-- Revoke one appliance of a site (idempotent); returns it, or nothing when it is not that site's.
UPDATE appliances
SET revoked = true, revoked_at = coalesce(revoked_at, now())
WHERE id = $2 AND site_id = $1
RETURNING id, site_id, name, hostname, agent_version, platform, bundle_version, box_public_key,
          signing_public_key, cert_fingerprint, last_checkin_at, revoked, revoked_at, created_at

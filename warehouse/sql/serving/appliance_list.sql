-- A site's appliances, oldest first (never their key hashes).
SELECT id, site_id, name, hostname, agent_version, platform, bundle_version, box_public_key,
       signing_public_key, cert_fingerprint, last_checkin_at, revoked, revoked_at, created_at
FROM appliances
WHERE site_id = $1
ORDER BY created_at, id

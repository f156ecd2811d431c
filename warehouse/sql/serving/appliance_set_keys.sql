-- An appliance registers its own public keys; a null parameter keeps the current key.
UPDATE appliances
SET box_public_key = coalesce($2, box_public_key),
    signing_public_key = coalesce($3, signing_public_key)
WHERE id = $1
RETURNING id, site_id, name, hostname, agent_version, platform, bundle_version, box_public_key,
          signing_public_key, cert_fingerprint, last_checkin_at, revoked, revoked_at, created_at

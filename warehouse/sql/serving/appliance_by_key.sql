-- The appliance holding an API key (by its SHA-256), with whether its site is still live.
SELECT a.id, a.site_id, a.name, a.box_public_key, a.signing_public_key, a.revoked,
       s.deleted_at IS NOT NULL AS site_deleted
FROM appliances a
JOIN sites s ON s.id = a.site_id
WHERE a.api_key_hash = $1

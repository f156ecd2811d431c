-- Every evidence key the site's ($1) appliances signed with, and each appliance's registered key.
SELECT k.appliance_id, k.public_key
FROM evidence_keys k JOIN appliances a ON a.id = k.appliance_id
WHERE a.site_id = $1
UNION
SELECT id, signing_public_key FROM appliances WHERE site_id = $1 AND signing_public_key IS NOT NULL

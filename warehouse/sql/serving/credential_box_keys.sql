-- The live appliances of a site that can receive sealed credentials (they registered a box key).
SELECT id, box_public_key
FROM appliances
WHERE site_id = $1 AND NOT revoked AND box_public_key IS NOT NULL
ORDER BY id

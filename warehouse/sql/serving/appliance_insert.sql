-- Provision an appliance on a live site; returns nothing when the site does not exist.
INSERT INTO appliances (site_id, name, api_key_hash, box_public_key, signing_public_key)
SELECT id, $2, $3, $4, $5 FROM sites WHERE id = $1 AND deleted_at IS NULL
RETURNING id, site_id

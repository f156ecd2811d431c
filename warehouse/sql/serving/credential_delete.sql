-- Delete one credential of a site (its sealed copies go with it).
DELETE FROM target_credentials WHERE id = $2 AND site_id = $1 RETURNING id

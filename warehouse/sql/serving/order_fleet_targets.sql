-- Live appliances of the given sites ($1 null: of every site), for a fleet order.
SELECT a.id, a.site_id
FROM appliances a
JOIN sites s ON s.id = a.site_id
WHERE NOT a.revoked AND s.deleted_at IS NULL AND ($1::uuid[] IS NULL OR a.site_id = ANY ($1::uuid[]))
ORDER BY a.site_id, a.id

-- The appliance an order is for, with its site and whether it can still receive orders.
SELECT a.id, a.site_id, a.revoked OR s.deleted_at IS NOT NULL AS retired
FROM appliances a
JOIN sites s ON s.id = a.site_id
WHERE a.id = $1

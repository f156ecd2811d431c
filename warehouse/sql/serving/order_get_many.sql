-- Several orders with their effective status, in creation order.
SELECT id, site_id, appliance_id, fleet_id, kind, type, params, status, detail, created_by, issued_at,
       expires_at, delivered_at, acknowledged_at, finished_at, envelope
FROM orders_live
WHERE id = ANY ($1::uuid[])
ORDER BY created_at, id

-- One order with its effective status.
SELECT id, site_id, appliance_id, fleet_id, kind, type, params, status, detail, created_by, issued_at,
       expires_at, delivered_at, acknowledged_at, finished_at, envelope
FROM orders_live
WHERE id = $1

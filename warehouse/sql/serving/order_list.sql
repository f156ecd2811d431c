-- Orders, newest first, narrowed by sites ($1), one site ($2), appliance ($3) and effective status ($4).
SELECT id, site_id, appliance_id, fleet_id, kind, type, params, status, detail, created_by, issued_at,
       expires_at, delivered_at, acknowledged_at, finished_at, envelope
FROM orders_live
WHERE ($1::uuid[] IS NULL OR site_id = ANY ($1::uuid[]))
  AND ($2::uuid IS NULL OR site_id = $2)
  AND ($3::uuid IS NULL OR appliance_id = $3)
  AND ($4::text IS NULL OR status = $4)
ORDER BY created_at DESC, id
LIMIT $5

-- A signed order, pending delivery.
INSERT INTO orders (id, site_id, appliance_id, fleet_id, kind, type, params, nonce, envelope,
                    created_by, issued_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)

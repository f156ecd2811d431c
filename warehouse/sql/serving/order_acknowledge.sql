-- The appliance confirms it received and accepted an order that has not expired.
UPDATE orders
SET status = 'acknowledged', acknowledged_at = now(), detail = $3
WHERE id = $1 AND appliance_id = $2 AND status IN ('pending', 'delivered') AND expires_at > now()
RETURNING id

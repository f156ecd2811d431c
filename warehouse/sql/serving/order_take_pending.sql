-- Hand an appliance its pending, unexpired orders and mark them delivered.
UPDATE orders
SET status = 'delivered', delivered_at = now()
WHERE appliance_id = $1 AND status = 'pending' AND expires_at > now()
RETURNING envelope, issued_at, id

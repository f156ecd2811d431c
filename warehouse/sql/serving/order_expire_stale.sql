-- The periodic sweep: open orders past their expiry become expired.
UPDATE orders
SET status = 'expired'
WHERE status IN ('pending', 'delivered', 'acknowledged') AND expires_at <= now()

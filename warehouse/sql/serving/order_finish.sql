-- Record how an order ended. The appliance's report is the truth, so it lands even on an order that
-- expired meanwhile (a long rebuild outlives the order's start window); finished orders stay finished.
UPDATE orders
SET status = $3, detail = $4, finished_at = coalesce($5, now())
WHERE id = $1 AND appliance_id = $2 AND status IN ('pending', 'delivered', 'acknowledged', 'expired')
RETURNING id

-- Finish the orders this batch reported on ($1 event ids, $2 appliance); the latest result per order
-- wins and finished orders stay finished, as with POST /api/orders/{id}/complete.
UPDATE orders o
SET status = CASE WHEN r.status = 'completed' THEN 'completed' ELSE 'failed' END,
    detail = CASE WHEN r.status IN ('completed', 'failed') THEN r.detail
                  ELSE rtrim(r.status || ': ' || r.detail, ': ') END,
    finished_at = r.finished_at
FROM (
    SELECT DISTINCT ON (order_id) order_id, status, detail, finished_at
    FROM order_results
    WHERE event_id = ANY ($1::text[]) AND appliance_id = $2
    ORDER BY order_id, finished_at DESC
) r
WHERE o.id = r.order_id AND o.appliance_id = $2
  AND o.status IN ('pending', 'delivered', 'acknowledged', 'expired')

-- A heal order handed out in a drift acknowledgement is delivered; the next check-in must not repeat it.
UPDATE orders SET status = 'delivered', delivered_at = now()
WHERE id = $1 AND status = 'pending'

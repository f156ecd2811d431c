-- L2 plans Central Command made since $1 (not the appliances' copies of them), and what they cost.
SELECT count(*) AS n, coalesce(sum(cost_usd), 0) AS cost
FROM l2_decisions
WHERE decided_at >= $1 AND origin = 'central'

-- What a site ($1) spent on the LLM since midnight in its own time zone.
SELECT coalesce(sum(d.cost_usd), 0)::double precision AS spent
FROM l2_decisions d
JOIN sites s ON s.id = d.site_id
WHERE d.site_id = $1
  AND d.decided_at >= (date_trunc('day', now() AT TIME ZONE s.timezone) AT TIME ZONE s.timezone)

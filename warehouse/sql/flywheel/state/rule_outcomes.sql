-- Verified L1 outcomes of the given rules per site (healed / failed after the closed-loop re-check).
SELECT rule_id, site_id::text AS site_id, count(*) AS n, count(*) FILTER (WHERE status = 'healed') AS successes
FROM healing_outcomes
WHERE rule_id = ANY($1::text[]) AND tier = 'L1' AND status IN ('healed', 'failed')
GROUP BY rule_id, site_id
ORDER BY rule_id, site_id

-- Candidates with their verdicts and any admin override, best evidence first; $1 verdict or null, $2 limit.
SELECT c.pattern_signature, c.runbook_id, c.check_type, c.platform, c.n, c.successes, c.wilson_lower,
       c.wilson_upper, c.sites, c.human_review_share, c.monthly_decisions, c.monthly_cost_usd,
       c.monthly_latency_s, c.first_seen, c.last_seen, c.rule_id, c.rule::text AS rule,
       c.backtest::text AS backtest, c.verdict, c.reasons::text AS reasons, c.evaluated_at,
       o.action AS override, o.reason AS override_reason, o.actor AS override_actor
FROM rule_candidates c
LEFT JOIN candidate_overrides o USING (pattern_signature, runbook_id)
WHERE $1::text IS NULL OR c.verdict = $1::text
ORDER BY c.wilson_lower DESC, c.n DESC, c.pattern_signature, c.runbook_id
LIMIT $2

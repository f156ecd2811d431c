-- One candidate by (pattern_signature, runbook_id), with its override.
SELECT c.pattern_signature, c.runbook_id, c.check_type, c.platform, c.n, c.successes, c.wilson_lower,
       c.wilson_upper, c.sites, c.human_review_share, c.monthly_decisions, c.monthly_cost_usd,
       c.monthly_latency_s, c.first_seen, c.last_seen, c.rule_id, c.rule::text AS rule,
       c.backtest::text AS backtest, c.verdict, c.reasons::text AS reasons, c.evaluated_at,
       o.action AS override, o.reason AS override_reason, o.actor AS override_actor
FROM rule_candidates c
LEFT JOIN candidate_overrides o USING (pattern_signature, runbook_id)
WHERE c.pattern_signature = $1 AND c.runbook_id = $2

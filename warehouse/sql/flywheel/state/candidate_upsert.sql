-- Record one candidate's latest evaluation; a row whose figures and verdict did not move is left
-- untouched (evaluated_at included), so a re-run with no new evidence writes nothing.
INSERT INTO rule_candidates (pattern_signature, runbook_id, check_type, platform, n, successes, wilson_lower,
                             wilson_upper, sites, human_review_share, monthly_decisions, monthly_cost_usd,
                             monthly_latency_s, first_seen, last_seen, rule_id, rule, backtest, verdict, reasons)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ($14::text)::timestamptz, ($15::text)::timestamptz,
        $16, ($17::text)::jsonb, ($18::text)::jsonb, $19, ($20::text)::jsonb)
ON CONFLICT (pattern_signature, runbook_id) DO UPDATE SET
    check_type = EXCLUDED.check_type, platform = EXCLUDED.platform, n = EXCLUDED.n,
    successes = EXCLUDED.successes, wilson_lower = EXCLUDED.wilson_lower, wilson_upper = EXCLUDED.wilson_upper,
    sites = EXCLUDED.sites, human_review_share = EXCLUDED.human_review_share,
    monthly_decisions = EXCLUDED.monthly_decisions, monthly_cost_usd = EXCLUDED.monthly_cost_usd,
    monthly_latency_s = EXCLUDED.monthly_latency_s, first_seen = EXCLUDED.first_seen,
    last_seen = EXCLUDED.last_seen, rule_id = EXCLUDED.rule_id, rule = EXCLUDED.rule,
    backtest = EXCLUDED.backtest, verdict = EXCLUDED.verdict, reasons = EXCLUDED.reasons, evaluated_at = now()
WHERE (rule_candidates.n, rule_candidates.successes, rule_candidates.sites, rule_candidates.rule_id,
       rule_candidates.rule, rule_candidates.backtest, rule_candidates.verdict, rule_candidates.reasons,
       rule_candidates.last_seen, rule_candidates.monthly_cost_usd)
      IS DISTINCT FROM
      (EXCLUDED.n, EXCLUDED.successes, EXCLUDED.sites, EXCLUDED.rule_id, EXCLUDED.rule, EXCLUDED.backtest,
       EXCLUDED.verdict, EXCLUDED.reasons, EXCLUDED.last_seen, EXCLUDED.monthly_cost_usd)
RETURNING pattern_signature

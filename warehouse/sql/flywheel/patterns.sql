-- Past incidents folded to one row per (pattern_signature, runbook_id, success), with one
-- representative incident's facts per signature: every incident of a signature shares its
-- categorical facts, which are all a rule condition reads, so synthesis and the backtest evaluate
-- each kind of drift once and weigh it by its count. runbook_id / success are null for incidents
-- without a verified outcome (they still count for rule conflicts).
WITH representative AS (
    SELECT pattern_signature,
           arg_min(check_type, incident_id) AS check_type,
           arg_min(platform, incident_id) AS platform,
           arg_min(severity, incident_id) AS severity,
           arg_min(details, incident_id) AS details
    FROM flywheel.outcomes
    GROUP BY pattern_signature
)
SELECT
    o.pattern_signature,
    o.runbook_id,
    o.success,
    count(*) AS n,
    count(DISTINCT o.site_id) AS sites,
    r.check_type,
    r.platform,
    r.severity,
    r.details
FROM flywheel.outcomes o
JOIN representative r USING (pattern_signature)
GROUP BY o.pattern_signature, o.runbook_id, o.success, r.check_type, r.platform, r.severity, r.details
ORDER BY o.pattern_signature, o.runbook_id NULLS LAST, o.success NULLS LAST;

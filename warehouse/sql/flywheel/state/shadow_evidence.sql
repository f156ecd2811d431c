-- What shadow rules would have done against what L2 decided for the same incident and how it ended:
-- agree = same runbook and healed; disagree = same runbook and failed, or another runbook healed;
-- another runbook that failed says nothing. One verdict per (rule, incident), the latest decision.
WITH matches AS (
    SELECT DISTINCT ON (rule_id, incident_id) rule_id, incident_id, site_id, runbook_id
    FROM shadow_matches
    WHERE rule_id = ANY($1::text[])
    ORDER BY rule_id, incident_id, ingest_seq
),
judged AS (
    SELECT m.rule_id, m.site_id::text AS site_id,
           CASE WHEN d.runbook_id = m.runbook_id AND o.status = 'healed' THEN 1
                WHEN d.runbook_id = m.runbook_id THEN 0
                WHEN o.status = 'healed' THEN 0
           END AS agrees
    FROM matches m
    JOIN LATERAL (
        SELECT decision_id, runbook_id FROM l2_decisions
        WHERE incident_id = m.incident_id ORDER BY decided_at DESC, ingest_seq DESC LIMIT 1
    ) d ON true
    JOIN LATERAL (
        SELECT status FROM healing_outcomes
        WHERE decision_id = d.decision_id AND status IN ('healed', 'failed')
        ORDER BY finished_at DESC, ingest_seq DESC LIMIT 1
    ) o ON true
)
SELECT rule_id, site_id,
       count(*) FILTER (WHERE agrees = 1) AS agree,
       count(*) FILTER (WHERE agrees = 0) AS disagree
FROM judged
GROUP BY rule_id, site_id
ORDER BY rule_id, site_id

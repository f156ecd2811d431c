-- Verified L2 choices, newest first ($1 = at most this many): each decision whose runbook was run and
-- healed the incident (the check passed again), with the drift facts it was planned from.
SELECT runbook_id, facts, incident
FROM (
    SELECT DISTINCT ON (d.decision_id)
           d.decision_id, d.runbook_id, d.facts, i.payload AS incident, o.ingest_seq
    FROM healing_outcomes o
    JOIN l2_decisions d
      ON d.decision_id = o.decision_id
      OR (o.decision_id IS NULL AND d.incident_id = o.incident_id AND d.site_id = o.site_id)
    LEFT JOIN LATERAL (
        SELECT payload FROM incidents
        WHERE incidents.incident_id = o.incident_id AND incidents.site_id = o.site_id
        ORDER BY ingest_seq LIMIT 1
    ) i ON true
    WHERE o.status = 'healed' AND d.runbook_id IS NOT NULL AND o.runbook_id = d.runbook_id
    ORDER BY d.decision_id, o.ingest_seq DESC
) verified
ORDER BY ingest_seq DESC
LIMIT $1

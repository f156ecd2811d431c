-- How far the verified outcomes reach: the learned planner retrains when this moves.
SELECT coalesce(max(ingest_seq), 0) AS mark FROM healing_outcomes WHERE status = 'healed'

-- Verified L1 heals by rules the flywheel promoted (their ids start L1-AUTO-).
SELECT count(*) AS heals, count(DISTINCT rule_id) AS rules
FROM healing_outcomes
WHERE tier = 'L1' AND status = 'healed' AND rule_id LIKE 'L1-AUTO-%'

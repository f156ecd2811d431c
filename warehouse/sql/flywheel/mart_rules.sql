-- Promoted rules and their stage (builtin and manual rules are not the flywheel's). `sites` is the
-- canary's site list; NULL means every site.
CREATE OR REPLACE TABLE marts.flywheel_rules AS
SELECT
    rule_id, status, pattern_signature, runbook_id,
    from_json(sites, '["VARCHAR"]') AS sites,
    reason, status_since, created_at
FROM raw.rules
WHERE source = 'promoted'
ORDER BY rule_id;

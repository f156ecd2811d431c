-- Which HIPAA paragraphs each check type cites (agents report the runbook's citations).
SELECT DISTINCT check_type, unnest(hipaa_controls) AS citation
FROM staging.check_results

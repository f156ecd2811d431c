-- Check types agents report that the check → control map does not cover, with how often they ran.
SELECT r.check_type, count(*) AS results, count(DISTINCT r.site_id) AS sites
FROM staging.check_results r
WHERE r.check_type NOT IN (SELECT check_type FROM feeds.check_controls)
GROUP BY r.check_type
ORDER BY results DESC, r.check_type

-- Each site's newest check result.
SELECT site_id, max(observed_at) AS last_observed_at
FROM staging.check_results
GROUP BY site_id

-- Each device's installed software: distinct (site, host, CPE) with when it was last reported.
SELECT site_id, host, cpe, max(observed_at) AS last_observed_at
FROM staging.software_inventory
GROUP BY site_id, host, cpe

-- How many device-CVE rows are exposed, and how many distinct CVEs the fleet carries.
SELECT count(*) FILTER (WHERE exposed) AS exposed_rows, count(DISTINCT cve_id) AS distinct_cves
FROM marts.cve_exposure

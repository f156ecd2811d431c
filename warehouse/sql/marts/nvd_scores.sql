-- Each CVE's best CVSS base score.
SELECT cve_id, cvss_score FROM feeds.nvd_cves

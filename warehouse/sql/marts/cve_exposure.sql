-- Site × device × CVE: what NVD's configurations say the device's software is vulnerable to
-- (`_matches`, from warehouse.cve_match), with CVSS, CISA KEV, and whether the latest nmap scan
-- shows a port serving the vulnerable software (`_serves`). A CVE reachable over the network
-- (attack vector N or A, or unknown) on an exposed service is raised one severity level.
CREATE OR REPLACE TABLE marts.cve_exposure AS
WITH ports AS (
    SELECT * FROM _ports
), exposed AS (
    SELECT m.site_id, m.host, m.cve_id, m.cpe,
           list(DISTINCT p.port || '/' || p.proto || ' ' || p.service ORDER BY p.port || '/' || p.proto || ' ' || p.service) AS ports
    FROM _matches m
    JOIN ports p ON p.site_id = m.site_id AND p.host = m.host
    JOIN _serves s ON s.cpe = m.cpe AND s.port = p.port AND s.proto = p.proto
                  AND s.service = p.service AND s.product = p.product
    GROUP BY m.site_id, m.host, m.cve_id, m.cpe
), scored AS (
    SELECT
        m.site_id,
        m.host,
        m.cve_id,
        m.cpe,
        c.cvss_score,
        c.cvss_version,
        coalesce(c.cvss_v40_vector, c.cvss_v31_vector, c.cvss_v30_vector, c.cvss_v2_vector) AS cvss_vector,
        nullif(regexp_extract(cvss_vector, 'AV:([NALP])', 1), '') AS attack_vector,
        lower(coalesce(c.cvss_severity, 'unknown')) AS base_severity,
        e.ports IS NOT NULL AND coalesce(attack_vector IN ('N', 'A'), true) AS exposed,
        coalesce(e.ports, []) AS exposed_ports,
        c.kev_added IS NOT NULL AS kev,
        c.kev_due,
        c.description_en AS description,
        c.published,
        c.last_modified,
        i.last_observed_at
    FROM _matches m
    JOIN feeds.nvd_cves c ON c.cve_id = m.cve_id
    LEFT JOIN exposed e ON e.site_id = m.site_id AND e.host = m.host AND e.cve_id = m.cve_id AND e.cpe = m.cpe
    LEFT JOIN _inventory i ON i.site_id = m.site_id AND i.host = m.host AND i.cpe = m.cpe
)
SELECT
    * EXCLUDE (last_observed_at),
    CASE WHEN NOT exposed THEN base_severity
         WHEN base_severity = 'low' THEN 'medium'
         WHEN base_severity = 'medium' THEN 'high'
         WHEN base_severity IN ('high', 'critical') THEN 'critical'
         ELSE base_severity END AS severity,
    last_observed_at
FROM scored
ORDER BY site_id, host, cvss_score DESC NULLS LAST, cve_id;

-- The two frameworks the read API lists, as reference rows (no telemetry): every SP 800-53 rev5
-- control and enhancement with its family, baselines, the HIPAA elements it serves and the checks
-- that give evidence for it; every HIPAA Security Rule element with its 800-53 controls and checks.
-- Status per site comes from joining `check_types` with `site_check_status`.
CREATE OR REPLACE TABLE marts.framework_controls AS
WITH baselines AS (
    SELECT control_id, list(baseline ORDER BY baseline) AS baselines
    FROM feeds.oscal_baselines GROUP BY control_id
), hipaa_of AS (
    SELECT control_id, list(DISTINCT hipaa_element ORDER BY hipaa_element) AS related
    FROM feeds.hipaa_crosswalk GROUP BY control_id
), checks_of AS (
    SELECT control_id, list(DISTINCT check_type ORDER BY check_type) AS check_types
    FROM feeds.check_controls GROUP BY control_id
), element_checks AS (
    SELECT x.hipaa_element, k.check_type
    FROM feeds.hipaa_crosswalk x JOIN feeds.check_controls k ON k.control_id = x.control_id
    UNION
    SELECT hipaa_element, check_type FROM _citations
), elements AS (
    SELECT hipaa_element, any_value(element_title) AS title, any_value(element_type) AS kind,
           any_value(section) AS section, list(DISTINCT control_id ORDER BY control_id) AS related
    FROM feeds.hipaa_crosswalk GROUP BY hipaa_element
)
SELECT
    '800-53' AS framework,
    c.control_id,
    c.label,
    c.title,
    g.title AS family,
    c.kind,
    c.withdrawn,
    coalesce(b.baselines, []) AS baselines,
    coalesce(h.related, []) AS related,
    coalesce(k.check_types, []) AS check_types,
    c.sort_id
FROM feeds.oscal_controls c
LEFT JOIN feeds.oscal_groups g ON g.group_id = c.group_id
LEFT JOIN baselines b ON b.control_id = c.control_id
LEFT JOIN hipaa_of h ON h.control_id = c.control_id
LEFT JOIN checks_of k ON k.control_id = c.control_id
UNION ALL
SELECT
    'hipaa',
    e.hipaa_element,
    e.hipaa_element,
    e.title,
    CASE e.section WHEN '164.308' THEN 'administrative' WHEN '164.310' THEN 'physical'
                   WHEN '164.312' THEN 'technical' WHEN '164.314' THEN 'organizational'
                   WHEN '164.316' THEN 'documentation' ELSE e.section END,
    e.kind,
    false,
    [],
    e.related,
    coalesce((SELECT list(DISTINCT check_type ORDER BY check_type) FROM element_checks ec
              WHERE ec.hipaa_element = e.hipaa_element), []),
    e.hipaa_element
FROM elements e
ORDER BY framework, sort_id;

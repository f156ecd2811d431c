-- Site × HIPAA Security Rule element × SP 800-53 control × check: NIST's crosswalk takes each
-- element to controls, `feeds.check_controls` takes controls to the checks that give evidence,
-- and each check's latest result per device gives pass / fail / not applicable / error.
-- A check that cites an element directly (`_citations`) but reaches it through no mapped control
-- is listed with no control (via = 'citation'), so no evidence is dropped.
CREATE OR REPLACE TABLE marts.control_coverage AS
WITH latest AS (
    SELECT * FROM staging.check_results
    QUALIFY row_number() OVER (PARTITION BY site_id, host, check_type
                               ORDER BY observed_at DESC, ingest_seq DESC) = 1
), per_check AS (
    SELECT site_id, check_type, count(*) AS devices,
           count(*) FILTER (WHERE status = 'pass') AS passed,
           count(*) FILTER (WHERE status = 'fail') AS failed,
           count(*) FILTER (WHERE status = 'not_applicable') AS not_applicable,
           count(*) FILTER (WHERE status = 'error') AS errors
    FROM latest
    GROUP BY site_id, check_type
), mapped AS (
    SELECT x.hipaa_element, x.control_id, k.check_type
    FROM feeds.hipaa_crosswalk x
    JOIN feeds.check_controls k ON k.control_id = x.control_id
), links AS (
    SELECT DISTINCT x.hipaa_element, x.control_id, k.check_type, 'crosswalk' AS via
    FROM feeds.hipaa_crosswalk x
    LEFT JOIN feeds.check_controls k ON k.control_id = x.control_id
    UNION ALL
    SELECT c.hipaa_element, NULL, c.check_type, 'citation'
    FROM _citations c
    WHERE NOT EXISTS (SELECT 1 FROM mapped m
                      WHERE m.hipaa_element = c.hipaa_element AND m.check_type = c.check_type)
), elements AS (
    SELECT hipaa_element, any_value(element_title) AS element_title, any_value(element_type) AS element_type,
           any_value(section) AS section
    FROM feeds.hipaa_crosswalk
    GROUP BY hipaa_element
)
SELECT
    s.site_id,
    l.hipaa_element,
    e.element_title,
    e.element_type,
    CASE e.section WHEN '164.308' THEN 'administrative' WHEN '164.310' THEN 'physical'
                   WHEN '164.312' THEN 'technical' WHEN '164.314' THEN 'organizational'
                   WHEN '164.316' THEN 'documentation' ELSE e.section END AS safeguard,
    l.control_id,
    o.label AS control_label,
    o.title AS control_title,
    l.check_type,
    l.via,
    coalesce(p.devices, 0) AS devices,
    coalesce(p.passed, 0) AS passed,
    coalesce(p.failed, 0) AS failed,
    coalesce(p.not_applicable, 0) AS not_applicable,
    coalesce(p.errors, 0) AS errors,
    CASE WHEN l.check_type IS NULL THEN 'no_checks'
         WHEN p.devices IS NULL THEN 'no_data'
         WHEN p.failed > 0 THEN 'fail'
         WHEN p.errors > 0 THEN 'error'
         WHEN p.passed > 0 THEN 'pass'
         ELSE 'not_applicable' END AS status
FROM (SELECT DISTINCT site_id FROM staging.check_results) s
CROSS JOIN links l
JOIN elements e ON e.hipaa_element = l.hipaa_element
LEFT JOIN feeds.oscal_controls o ON o.control_id = l.control_id
LEFT JOIN per_check p ON p.site_id = s.site_id AND p.check_type = l.check_type
ORDER BY s.site_id, l.hipaa_element, o.sort_id NULLS LAST, l.check_type NULLS LAST;

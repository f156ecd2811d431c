-- Site names for display: every site, retired ones too (their history still shows in the marts).
CREATE OR REPLACE TABLE marts.sites AS
SELECT CAST(id AS VARCHAR) AS site_id, name
FROM raw.sites
ORDER BY name, site_id;

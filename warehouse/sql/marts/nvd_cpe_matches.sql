-- Every cpeMatch of every NVD configuration, as warehouse.cve_match.CveIndex takes them.
SELECT * FROM feeds.nvd_cpe_matches

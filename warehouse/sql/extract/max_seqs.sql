-- The highest committed ingest_seq of each telemetry table the warehouse extracts (0 when empty).
SELECT 'incidents' AS table_name, coalesce(max(ingest_seq), 0) AS max_seq FROM incidents
UNION ALL SELECT 'l2_decisions', coalesce(max(ingest_seq), 0) FROM l2_decisions
UNION ALL SELECT 'healing_outcomes', coalesce(max(ingest_seq), 0) FROM healing_outcomes
UNION ALL SELECT 'check_results', coalesce(max(ingest_seq), 0) FROM check_results
UNION ALL SELECT 'device_scans', coalesce(max(ingest_seq), 0) FROM device_scans
UNION ALL SELECT 'software_inventory', coalesce(max(ingest_seq), 0) FROM software_inventory

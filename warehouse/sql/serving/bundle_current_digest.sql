-- The newest bundle's version and digest only (check-in and If-None-Match need no envelope).
SELECT version, digest
FROM rule_bundles
ORDER BY version DESC
LIMIT 1

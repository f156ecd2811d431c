-- Stamp the bundle version that first carried the stage changes recorded since the last bundle.
UPDATE rule_audit SET bundle_version = $1
WHERE bundle_version IS NULL AND to_status IS NOT NULL

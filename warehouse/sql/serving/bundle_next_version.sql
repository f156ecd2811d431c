-- The version the next bundle gets (strictly increasing; 1 when none exists).
SELECT coalesce(max(version), 0) + 1 FROM rule_bundles

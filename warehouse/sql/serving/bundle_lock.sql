-- Serialise bundle publishing for the rest of the transaction.
SELECT pg_advisory_xact_lock(hashtext('osiris.rule_bundles'))

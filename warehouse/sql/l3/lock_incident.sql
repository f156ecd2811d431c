-- Serialise the handling of one site's incident ($1 = "site:incident") until the transaction ends.
SELECT pg_advisory_xact_lock(hashtextextended($1, 3))

-- One batching transaction per site ($1) at a time: a second run waits, then finds the rows taken.
SELECT pg_advisory_xact_lock(hashtext('osiris.evidence_batches'), hashtext($1::text))

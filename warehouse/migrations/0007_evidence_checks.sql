-- What the pipelines' last walk of each site's new (not yet batched) bundles found: a segment that
-- does not verify is never anchored, and stays reported here until someone repairs it.
ALTER TABLE evidence_chain_heads
    ADD COLUMN checked_up_to  bigint,
    ADD COLUMN breaks         integer NOT NULL DEFAULT 0,
    ADD COLUMN first_break    text,
    ADD COLUMN checked_at     timestamptz;

-- The evidence chain: verified bundles chained per site, Merkle batches, OpenTimestamps proofs.
--
-- A bundle is chained in the transaction that stores it (after its appliance signature verified):
-- `chain_seq` counts from 0 per site, `prev_hash` is the chain hash of the site's previous bundle,
-- `chain_hash` = H(prev_hash || bundle_hash). `signed` keeps the signed evidence exactly as verified
-- (jsonb would normalise numbers, and the signature is over the original values).

ALTER TABLE evidence_bundles
    ADD COLUMN chain_hash   text,
    ADD COLUMN key_id       text,
    ADD COLUMN signed       text,
    ADD COLUMN created_at   timestamptz,
    ADD COLUMN chained_at   timestamptz,
    ADD COLUMN batch_index  integer;
ALTER TABLE evidence_bundles ADD CONSTRAINT evidence_bundles_site_seq_key UNIQUE (site_id, chain_seq);
CREATE INDEX evidence_bundles_unbatched_idx ON evidence_bundles (site_id, chain_seq)
    WHERE batch_id IS NULL AND chain_seq IS NOT NULL;

-- One row per site: the chain's length and head. Appending locks it (SELECT ... FOR UPDATE), so two
-- batches for one site can never both continue from the same head.
CREATE TABLE evidence_chain_heads (
    site_id         uuid PRIMARY KEY REFERENCES sites (id),
    length          bigint NOT NULL DEFAULT 0,
    head_hash       text NOT NULL DEFAULT repeat('0', 64),
    last_bundle_at  timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every evidence key an appliance signed with, kept after it rotates, so old bundles stay verifiable.
CREATE TABLE evidence_keys (
    appliance_id   uuid NOT NULL REFERENCES appliances (id),
    key_id         text NOT NULL,
    public_key     bytea NOT NULL CHECK (length(public_key) = 32),
    first_used_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (appliance_id, key_id)
);

-- A Merkle batch of one site's chained bundles (leaves = chain hashes, in seq order) and its proof.
-- status: unstamped (no calendar answered yet) -> pending (calendar promise) -> confirmed (Bitcoin).
CREATE TABLE evidence_batches (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id          uuid NOT NULL REFERENCES sites (id),
    first_seq        bigint NOT NULL,
    last_seq         bigint NOT NULL,
    leaf_count       integer NOT NULL CHECK (leaf_count > 0),
    root             text NOT NULL,
    leaves           text[] NOT NULL,
    bundle_ids       text[] NOT NULL,
    seqs             bigint[] NOT NULL,
    status           text NOT NULL DEFAULT 'unstamped' CHECK (status IN ('unstamped', 'pending', 'confirmed')),
    ots              bytea,
    calendars        text[] NOT NULL DEFAULT '{}',
    stamp_attempts   integer NOT NULL DEFAULT 0,
    upgrade_attempts integer NOT NULL DEFAULT 0,
    last_error       text,
    last_attempt_at  timestamptz,
    stamped_at       timestamptz,
    confirmed_at     timestamptz,
    block_height     integer,
    block_time       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, first_seq)
);
CREATE INDEX evidence_batches_open_idx ON evidence_batches (status, created_at) WHERE status <> 'confirmed';
ALTER TABLE evidence_bundles
    ADD CONSTRAINT evidence_bundles_batch_fkey FOREIGN KEY (batch_id) REFERENCES evidence_batches (id);

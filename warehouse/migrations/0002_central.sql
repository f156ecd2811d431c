-- Central Command's system of record: sites, appliances, credentials, telemetry, orders, rules, tokens.
--
-- Telemetry tables share one shape: `ingest_seq` (bigserial, commit-ordered because ingest merges
-- under one advisory lock, so the warehouse may extract `WHERE ingest_seq > last_seen`), a unique
-- `event_id` (a replayed batch adds nothing), typed columns the warehouse reads, and the whole
-- normalised payload as jsonb. Enum-like columns carry CHECK constraints; readers still fall back
-- safely on unknown values so an older server survives a newer row.

CREATE TABLE sites (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    timezone    text NOT NULL DEFAULT 'UTC',
    notes       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    -- Sites are retired, never erased: HIPAA keeps compliance evidence for six years.
    deleted_at  timestamptz
);
CREATE INDEX sites_live_idx ON sites (created_at) WHERE deleted_at IS NULL;

CREATE TABLE appliances (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id             uuid NOT NULL REFERENCES sites (id),
    name                text NOT NULL DEFAULT '',
    api_key_hash        text NOT NULL UNIQUE,
    box_public_key      bytea CHECK (box_public_key IS NULL OR length(box_public_key) = 32),
    signing_public_key  bytea CHECK (signing_public_key IS NULL OR length(signing_public_key) = 32),
    cert_fingerprint    text,
    hostname            text,
    agent_version       text,
    platform            text,
    bundle_version      integer,
    last_checkin_at     timestamptz,
    revoked             boolean NOT NULL DEFAULT false,
    revoked_at          timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appliances_site_idx ON appliances (site_id);

CREATE TABLE devices (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id        uuid NOT NULL REFERENCES sites (id),
    hostname       text NOT NULL,
    ip             text,
    mac            text,
    os             text,
    device_type    text,
    -- manual: entered by a person (printers, non-domain PCs); scan: seen by the appliance's scanner.
    source         text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'scan', 'domain')),
    domain_joined  boolean NOT NULL DEFAULT false,
    notes          text NOT NULL DEFAULT '',
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (site_id, hostname)
);

-- A target's secrets exist only sealed to each appliance's X25519 key; the plaintext is never stored.
CREATE TABLE target_credentials (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id            uuid NOT NULL REFERENCES sites (id),
    host               text NOT NULL,
    port               integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    username           text NOT NULL,
    distro             text,
    auth_kind          text NOT NULL CHECK (auth_kind IN ('password', 'private_key')),
    has_sudo_password  boolean NOT NULL DEFAULT false,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX target_credentials_site_idx ON target_credentials (site_id);

CREATE TABLE sealed_credentials (
    credential_id  uuid NOT NULL REFERENCES target_credentials (id) ON DELETE CASCADE,
    appliance_id   uuid NOT NULL REFERENCES appliances (id) ON DELETE CASCADE,
    sealed         bytea NOT NULL,
    PRIMARY KEY (credential_id, appliance_id)
);
CREATE INDEX sealed_credentials_appliance_idx ON sealed_credentials (appliance_id);

CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    role          text NOT NULL CHECK (role IN ('admin', 'partner', 'auditor')),
    site_ids      uuid[] NOT NULL DEFAULT '{}',
    name          text NOT NULL DEFAULT '',
    token_hash    text NOT NULL UNIQUE,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz
);

-- --- rules and bundles -------------------------------------------------------------------------

CREATE TABLE rules (
    rule_id     text PRIMARY KEY,
    rule        jsonb NOT NULL,
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'shadow', 'disabled', 'demoted')),
    source      text NOT NULL DEFAULT 'builtin',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rule_bundles (
    version     integer PRIMARY KEY CHECK (version >= 1),
    digest      text NOT NULL UNIQUE,
    envelope    bytea NOT NULL,
    key_id      text NOT NULL,
    rule_count  integer NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- --- orders ----------------------------------------------------------------------------------

CREATE TABLE orders (
    id               uuid PRIMARY KEY,
    site_id          uuid NOT NULL REFERENCES sites (id),
    appliance_id     uuid NOT NULL REFERENCES appliances (id),
    -- A fleet order fans out into one signed order per appliance, grouped by fleet_id.
    fleet_id         uuid,
    kind             text NOT NULL CHECK (kind IN ('admin', 'fleet', 'healing')),
    type             text NOT NULL,
    params           jsonb NOT NULL DEFAULT '{}',
    nonce            text NOT NULL UNIQUE,
    envelope         jsonb NOT NULL,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'delivered', 'acknowledged', 'completed', 'failed', 'expired')),
    detail           text NOT NULL DEFAULT '',
    created_by       text NOT NULL DEFAULT '',
    issued_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    acknowledged_at  timestamptz,
    finished_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_appliance_status_idx ON orders (appliance_id, status);
CREATE INDEX orders_site_idx ON orders (site_id, created_at);
CREATE INDEX orders_open_expiry_idx ON orders (expires_at)
    WHERE status IN ('pending', 'delivered', 'acknowledged');

-- --- telemetry -------------------------------------------------------------------------------

CREATE TABLE incidents (
    ingest_seq         bigserial PRIMARY KEY,
    event_id           text NOT NULL UNIQUE,
    incident_id        text NOT NULL,
    site_id            uuid NOT NULL REFERENCES sites (id),
    appliance_id       uuid REFERENCES appliances (id),
    host               text NOT NULL,
    check_type         text NOT NULL,
    platform           text NOT NULL,
    severity           text NOT NULL,
    pattern_signature  text NOT NULL,
    observed_at        timestamptz NOT NULL,
    payload            jsonb NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incidents_site_time_idx ON incidents (site_id, observed_at);
CREATE INDEX incidents_incident_idx ON incidents (incident_id);
CREATE INDEX incidents_signature_idx ON incidents (pattern_signature);

CREATE TABLE l2_decisions (
    ingest_seq             bigserial PRIMARY KEY,
    event_id               text NOT NULL UNIQUE,
    decision_id            text NOT NULL,
    incident_id            text NOT NULL,
    site_id                uuid NOT NULL REFERENCES sites (id),
    appliance_id           uuid REFERENCES appliances (id),
    runbook_id             text,
    confidence             double precision NOT NULL,
    requires_human_review  boolean NOT NULL,
    pattern_signature      text NOT NULL,
    provider               text NOT NULL,
    model                  text,
    input_tokens           integer NOT NULL DEFAULT 0,
    output_tokens          integer NOT NULL DEFAULT 0,
    cost_usd               double precision NOT NULL DEFAULT 0,
    latency_ms             double precision NOT NULL DEFAULT 0,
    decided_at             timestamptz NOT NULL,
    payload                jsonb NOT NULL,
    received_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX l2_decisions_site_time_idx ON l2_decisions (site_id, decided_at);
CREATE INDEX l2_decisions_signature_idx ON l2_decisions (pattern_signature);

CREATE TABLE healing_outcomes (
    ingest_seq         bigserial PRIMARY KEY,
    event_id           text NOT NULL UNIQUE,
    incident_id        text NOT NULL,
    site_id            uuid NOT NULL REFERENCES sites (id),
    appliance_id       uuid REFERENCES appliances (id),
    host               text NOT NULL DEFAULT '',
    tier               text NOT NULL,
    status             text NOT NULL,
    runbook_id         text,
    rule_id            text,
    decision_id        text,
    pattern_signature  text NOT NULL,
    duration_ms        double precision NOT NULL DEFAULT 0,
    error              text,
    finished_at        timestamptz NOT NULL,
    payload            jsonb NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX healing_outcomes_site_time_idx ON healing_outcomes (site_id, finished_at);
CREATE INDEX healing_outcomes_signature_idx ON healing_outcomes (pattern_signature);

CREATE TABLE check_results (
    ingest_seq    bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    site_id       uuid NOT NULL REFERENCES sites (id),
    appliance_id  uuid REFERENCES appliances (id),
    host          text NOT NULL,
    check_type    text NOT NULL,
    platform      text NOT NULL,
    status        text NOT NULL,
    observed_at   timestamptz NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX check_results_site_time_idx ON check_results (site_id, observed_at);

CREATE TABLE device_scans (
    ingest_seq    bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    site_id       uuid NOT NULL REFERENCES sites (id),
    appliance_id  uuid REFERENCES appliances (id),
    host          text NOT NULL,
    ip            text,
    mac           text,
    os            text,
    device_type   text,
    in_inventory  boolean NOT NULL,
    scanned_at    timestamptz NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX device_scans_site_time_idx ON device_scans (site_id, scanned_at);

CREATE TABLE software_inventory (
    ingest_seq    bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    site_id       uuid NOT NULL REFERENCES sites (id),
    appliance_id  uuid REFERENCES appliances (id),
    host          text NOT NULL,
    cpe           text NOT NULL,
    product       text NOT NULL DEFAULT '',
    version       text NOT NULL DEFAULT '',
    observed_at   timestamptz NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX software_inventory_site_host_idx ON software_inventory (site_id, host);

CREATE TABLE shadow_matches (
    ingest_seq         bigserial PRIMARY KEY,
    event_id           text NOT NULL UNIQUE,
    site_id            uuid NOT NULL REFERENCES sites (id),
    appliance_id       uuid REFERENCES appliances (id),
    incident_id        text NOT NULL,
    rule_id            text NOT NULL,
    runbook_id         text,
    pattern_signature  text NOT NULL,
    matched_at         timestamptz NOT NULL,
    payload            jsonb NOT NULL,
    received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX shadow_matches_rule_idx ON shadow_matches (rule_id);

-- Escalations arrive from appliances (event_id set) or are raised centrally (event_id null).
CREATE TABLE escalations (
    ingest_seq         bigserial PRIMARY KEY,
    id                 uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    event_id           text UNIQUE,
    site_id            uuid NOT NULL REFERENCES sites (id),
    appliance_id       uuid REFERENCES appliances (id),
    incident_id        text NOT NULL,
    host               text NOT NULL DEFAULT '',
    check_type         text NOT NULL DEFAULT '',
    severity           text NOT NULL DEFAULT 'medium',
    reason             text NOT NULL DEFAULT '',
    pattern_signature  text NOT NULL DEFAULT '',
    details            jsonb NOT NULL DEFAULT '{}',
    status             text NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'notified', 'acknowledged', 'resolved')),
    requested_at       timestamptz NOT NULL DEFAULT now(),
    resolved_at        timestamptz,
    payload            jsonb NOT NULL DEFAULT '{}',
    received_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalations_open_idx ON escalations (site_id, requested_at) WHERE status <> 'resolved';

-- Raw signed evidence as the appliance sent it; the evidence issue adds verification and chaining.
CREATE TABLE evidence_bundles (
    ingest_seq    bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    bundle_id     text NOT NULL UNIQUE,
    site_id       uuid NOT NULL REFERENCES sites (id),
    appliance_id  uuid REFERENCES appliances (id),
    payload       jsonb NOT NULL,
    bundle_hash   text,
    prev_hash     text,
    chain_seq     bigint,
    batch_id      uuid,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX evidence_bundles_site_idx ON evidence_bundles (site_id, ingest_seq);

CREATE TABLE order_results (
    ingest_seq    bigserial PRIMARY KEY,
    event_id      text NOT NULL UNIQUE,
    order_id      uuid NOT NULL REFERENCES orders (id),
    site_id       uuid NOT NULL REFERENCES sites (id),
    appliance_id  uuid REFERENCES appliances (id),
    status        text NOT NULL,
    detail        text NOT NULL DEFAULT '',
    finished_at   timestamptz NOT NULL,
    payload       jsonb NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_results_order_idx ON order_results (order_id);

-- Orders as readers see them: a stale open order shows as expired even before the sweep runs.
CREATE VIEW orders_live AS
SELECT id, site_id, appliance_id, fleet_id, kind, type, params, nonce, envelope,
       CASE WHEN status IN ('pending', 'delivered', 'acknowledged') AND expires_at <= now()
            THEN 'expired' ELSE status END AS status,
       detail, created_by, issued_at, expires_at, delivered_at, acknowledged_at, finished_at, created_at
FROM orders;

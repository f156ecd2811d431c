-- The appliance's durable state. Every table survives `kill -9`: WAL journal, synchronous=FULL.

-- Small facts: appliance id from check-in, last check-in time, backoff state, alarms.
CREATE TABLE kv (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- One row per incident; an open incident on (host, check_type) absorbs repeats of the same drift.
CREATE TABLE incidents (
    incident_id        TEXT PRIMARY KEY,
    host               TEXT NOT NULL,
    check_type         TEXT NOT NULL,
    platform           TEXT NOT NULL,
    pattern_signature  TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN
                       ('open', 'pending_l2', 'escalated', 'suppressed', 'failed', 'healed', 'resolved', 'planned')),
    tier               TEXT,
    rule_id            TEXT,
    runbook_id         TEXT,
    l2_attempts        INTEGER NOT NULL DEFAULT 0,
    incident           TEXT NOT NULL,
    opened_at          TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    closed_at          TEXT
);
CREATE INDEX incidents_open_idx ON incidents (host, check_type) WHERE closed_at IS NULL;

-- Successful heals, for flap detection (the same drift back K times within W).
CREATE TABLE heals (
    id          INTEGER PRIMARY KEY,
    host        TEXT NOT NULL,
    check_type  TEXT NOT NULL,
    healed_at   REAL NOT NULL
);
CREATE INDEX heals_key_idx ON heals (host, check_type, healed_at);

CREATE TABLE flap_suppressions (
    host          TEXT NOT NULL,
    check_type    TEXT NOT NULL,
    since         REAL NOT NULL,
    until         REAL NOT NULL,
    heals         INTEGER NOT NULL,
    incident_id   TEXT,
    PRIMARY KEY (host, check_type)
);

-- Circuit breaker per (target, runbook): consecutive failures and when it may close again.
CREATE TABLE breakers (
    target       TEXT NOT NULL,
    runbook_id   TEXT NOT NULL,
    failures     INTEGER NOT NULL DEFAULT 0,
    open_until   REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (target, runbook_id)
);

-- Nonces of every order accepted; kept until the order could no longer verify anyway.
CREATE TABLE seen_nonces (
    nonce       TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL,
    status      TEXT NOT NULL,
    expires_at  REAL NOT NULL,
    seen_at     REAL NOT NULL
);

-- The last verified rules bundle (exactly one row): re-verified at start, never replaced by a worse one.
CREATE TABLE bundle (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    version      INTEGER NOT NULL,
    digest       TEXT NOT NULL,
    envelope     BLOB NOT NULL,
    expires_at   TEXT NOT NULL,
    verified_at  TEXT NOT NULL
);

-- Promoted rules pushed by `sync_promoted_rule`, used until a bundle carries the same id.
CREATE TABLE promoted_rules (
    rule_id       TEXT PRIMARY KEY,
    rule          TEXT NOT NULL,
    installed_at  TEXT NOT NULL
);

-- Telemetry waiting for Central Command, oldest first. (kind, event_id) makes every enqueue
-- idempotent; ids are unique per kind, as Central Command stores each kind in its own table (an L2
-- decision's event id is its incident's id).
CREATE TABLE outbox (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    event       TEXT NOT NULL,
    created_at  REAL NOT NULL,
    UNIQUE (kind, event_id)
);

-- Events Central Command refused as invalid one by one: kept for a person, never retried.
CREATE TABLE dead_letters (
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    event       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    failed_at   REAL NOT NULL,
    PRIMARY KEY (kind, event_id)
);

-- Last result per (host, check_type): report check results on change, not every cycle.
CREATE TABLE check_state (
    host         TEXT NOT NULL,
    check_type   TEXT NOT NULL,
    status       TEXT NOT NULL,
    reported_at  REAL NOT NULL,
    PRIMARY KEY (host, check_type)
);

-- Network and inventory scans (written by the scanner).
CREATE TABLE scan_results (
    id          INTEGER PRIMARY KEY,
    host        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    result      TEXT NOT NULL,
    scanned_at  REAL NOT NULL
);
CREATE INDEX scan_results_host_idx ON scan_results (host, kind, scanned_at);

-- Targets from check-in: secrets stay sealed to the appliance's box key, opened only when used.
CREATE TABLE targets (
    host           TEXT PRIMARY KEY,
    port           INTEGER NOT NULL,
    platform       TEXT NOT NULL,
    distro         TEXT,
    credential_id  TEXT,
    sealed         TEXT,
    updated_at     TEXT NOT NULL
);

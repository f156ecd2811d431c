-- gRPC enrollment: one-time enrollment tokens and every agent certificate the internal CA issued.
--
-- A token is stored as its SHA-256 (like API keys) and is spent by the first Register that presents
-- it. A token names a site and, optionally, an existing appliance; without one, enrollment creates the
-- appliance. Certificates are kept so a call can be refused when its certificate was replaced
-- (re-enrollment revokes at once; renewal supersedes, with a grace period while the appliance switches).

CREATE TABLE enrollment_tokens (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    site_id              uuid NOT NULL REFERENCES sites (id),
    appliance_id         uuid REFERENCES appliances (id),
    name                 text NOT NULL DEFAULT '',
    token_hash           text NOT NULL UNIQUE,
    created_by           text NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL DEFAULT now(),
    expires_at           timestamptz NOT NULL,
    used_at              timestamptz,
    used_by_appliance_id uuid REFERENCES appliances (id),
    CHECK (expires_at > created_at)
);
CREATE INDEX enrollment_tokens_site_idx ON enrollment_tokens (site_id, created_at);

CREATE TABLE appliance_certificates (
    fingerprint          text PRIMARY KEY CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
    serial               text NOT NULL UNIQUE,
    appliance_id         uuid NOT NULL REFERENCES appliances (id),
    not_before           timestamptz NOT NULL,
    not_after            timestamptz NOT NULL,
    enrollment_token_id  uuid REFERENCES enrollment_tokens (id),
    renewed_from         text REFERENCES appliance_certificates (fingerprint),
    issued_at            timestamptz NOT NULL DEFAULT now(),
    superseded_at        timestamptz,
    revoked_at           timestamptz
);
CREATE INDEX appliance_certificates_appliance_idx ON appliance_certificates (appliance_id, issued_at);

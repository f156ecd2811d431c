-- L2 planner and L3 escalation engine: decision provenance, grouped escalations, delivery attempts.

-- --- L2 decisions ------------------------------------------------------------------------------
-- Decisions planned here carry their guardrail verdicts, why a planner was skipped, and the drift
-- facts they were planned from (the learned planner trains on them). `origin` tells them from the
-- copies appliances report through telemetry.
ALTER TABLE l2_decisions
    ADD COLUMN guardrails       jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN fallback_reason  text,
    ADD COLUMN facts            jsonb,
    ADD COLUMN origin           text NOT NULL DEFAULT 'appliance' CHECK (origin IN ('appliance', 'central'));
-- One row per decision however it arrived: once Central recorded a decision, the appliance's
-- telemetry copy (another event id, same decision id) merges as a duplicate, so costs count once.
CREATE UNIQUE INDEX l2_decisions_decision_uidx ON l2_decisions (decision_id);

-- --- escalations -------------------------------------------------------------------------------
-- Repeats of one incident fold into its first open escalation (the head): `grouped_into` points at
-- the head, which counts `occurrences` and `last_seen_at`. `dispatched_at` is claimed once per row,
-- so a replayed telemetry batch never notifies twice. queued: no channel was configured; failed:
-- every channel refused; grouped: folded into a head.
ALTER TABLE escalations DROP CONSTRAINT escalations_status_check;
ALTER TABLE escalations ADD CONSTRAINT escalations_status_check
    CHECK (status IN ('open', 'queued', 'notified', 'failed', 'acknowledged', 'resolved', 'grouped'));
ALTER TABLE escalations
    ADD COLUMN dedup_key      text,
    ADD COLUMN grouped_into   uuid REFERENCES escalations (id),
    ADD COLUMN occurrences    integer NOT NULL DEFAULT 1 CHECK (occurrences >= 1),
    ADD COLUMN last_seen_at   timestamptz,
    ADD COLUMN channels       text[] NOT NULL DEFAULT '{}',
    ADD COLUMN dispatched_at  timestamptz,
    ADD COLUMN notified_at    timestamptz,
    ADD COLUMN resolved_by    text;
CREATE UNIQUE INDEX escalations_one_open_head_uidx ON escalations (site_id, dedup_key)
    WHERE grouped_into IS NULL AND dedup_key IS NOT NULL AND status NOT IN ('resolved', 'grouped');
CREATE INDEX escalations_queued_idx ON escalations (requested_at) WHERE status = 'queued';

-- Every delivery attempt on every channel, successful or not: what was sent where, what came back.
CREATE TABLE escalation_attempts (
    id             bigserial PRIMARY KEY,
    escalation_id  uuid NOT NULL REFERENCES escalations (id),
    channel        text NOT NULL CHECK (channel IN ('slack', 'pagerduty', 'email', 'teams')),
    action         text NOT NULL CHECK (action IN ('trigger', 'resolve', 'followup')),
    attempt        integer NOT NULL CHECK (attempt >= 1),
    ok             boolean NOT NULL,
    retryable      boolean NOT NULL DEFAULT false,
    status_code    integer,
    response       text NOT NULL DEFAULT '',
    error          text,
    retry_after_s  double precision,
    latency_ms     double precision NOT NULL DEFAULT 0,
    attempted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalation_attempts_escalation_idx ON escalation_attempts (escalation_id, id);

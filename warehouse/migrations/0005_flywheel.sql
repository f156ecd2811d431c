-- The flywheel's lifecycle state: mined candidates with their verdicts, promoted rules through
-- shadow -> canary -> active (or demoted / vetoed), admins' pins and vetoes, and an audit trail
-- that says why every promoted rule exists or stopped.

-- --- rules: one row per rule Central Command manages (promoted rules carry their stage) ----------
ALTER TABLE rules DROP CONSTRAINT rules_status_check;
ALTER TABLE rules ADD CONSTRAINT rules_status_check
    CHECK (status IN ('candidate', 'shadow', 'canary', 'active', 'disabled', 'demoted', 'vetoed'));
ALTER TABLE rules
    ADD COLUMN pattern_signature  text,
    ADD COLUMN runbook_id         text,
    -- canary: the only sites the rule is active on; null = every site.
    ADD COLUMN sites              text[],
    ADD COLUMN provenance         jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN reason             text NOT NULL DEFAULT '',
    ADD COLUMN status_since       timestamptz NOT NULL DEFAULT now();
CREATE INDEX rules_candidate_idx ON rules (pattern_signature, runbook_id);
CREATE INDEX rules_live_idx ON rules (status) WHERE status IN ('shadow', 'canary', 'active');

-- --- candidates: the last evaluation of every (pattern_signature, runbook_id) -------------------
CREATE TABLE rule_candidates (
    pattern_signature   text NOT NULL,
    runbook_id          text NOT NULL,
    check_type          text NOT NULL DEFAULT '',
    platform            text NOT NULL DEFAULT '',
    n                   integer NOT NULL CHECK (n >= 0),
    successes           integer NOT NULL CHECK (successes >= 0 AND successes <= n),
    wilson_lower        double precision NOT NULL,
    wilson_upper        double precision NOT NULL,
    sites               integer NOT NULL,
    human_review_share  double precision NOT NULL DEFAULT 0,
    monthly_decisions   double precision,
    monthly_cost_usd    double precision,
    monthly_latency_s   double precision,
    first_seen          timestamptz,
    last_seen           timestamptz,
    rule_id             text,
    rule                jsonb,
    backtest            jsonb NOT NULL DEFAULT '{}',
    verdict             text NOT NULL CHECK (verdict IN ('promote', 'reject', 'live')),
    reasons             jsonb NOT NULL DEFAULT '[]',
    evaluated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pattern_signature, runbook_id)
);
CREATE INDEX rule_candidates_verdict_idx ON rule_candidates (verdict, wilson_lower DESC);

-- --- pins and vetoes: an admin's word on a candidate, kept apart so re-mining never clobbers it ---
CREATE TABLE candidate_overrides (
    pattern_signature  text NOT NULL,
    runbook_id         text NOT NULL,
    action             text NOT NULL CHECK (action IN ('pin', 'veto')),
    reason             text NOT NULL DEFAULT '',
    actor              text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (pattern_signature, runbook_id)
);

-- --- audit: every promotion, stage change, demotion, pin and veto ------------------------------
CREATE TABLE rule_audit (
    id                 bigserial PRIMARY KEY,
    rule_id            text,
    pattern_signature  text,
    runbook_id         text,
    action             text NOT NULL,
    from_status        text,
    to_status          text,
    reason             text NOT NULL DEFAULT '',
    evidence           jsonb NOT NULL DEFAULT '{}',
    actor              text NOT NULL DEFAULT 'flywheel',
    -- The bundle version that first carried this change (set when that bundle is signed).
    bundle_version     integer,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rule_audit_rule_idx ON rule_audit (rule_id, id);
CREATE INDEX rule_audit_unbundled_idx ON rule_audit (id) WHERE bundle_version IS NULL;

-- Rule health reads every L1 outcome of a promoted rule by its id.
CREATE INDEX healing_outcomes_rule_idx ON healing_outcomes (rule_id) WHERE rule_id IS NOT NULL;
-- Shadow agreement joins a shadow match to the L2 decision for the same incident.
CREATE INDEX l2_decisions_incident_idx ON l2_decisions (incident_id);

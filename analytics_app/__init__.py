"""The compliance reports (Streamlit): compliance officers' view of the published marts.

README
======

Run: `osiris ui [--port 8501] [--host 127.0.0.1]` (or `streamlit run analytics_app/app.py`). The app
reads only the Parquet marts under `$OSIRIS_HOME/marts` (`warehouse.duck.marts_dir()`), through
`warehouse.duck.read_mart`: never the DuckDB file, never Postgres, so it never waits on a pipeline run.

Layout:
- `app.py`: the entry script; declares the navigation and draws the shared filters (sites, period).
- `pages/*.py`: one file per page; each only renders what `queries` returns for the filters.
- `queries/*.py`: one module per page; pure polars over the marts, filtered by site and UTC day.
- `data.py`: loading (cached with `st.cache_data`, keyed on each file's mtime and size, so a new
  publish shows on the next rerun), conforming to `schema.MARTS`, and the site / period filters.
- `ui.py`: shared Streamlit pieces (empty states, tables with CSV download, formats).
- `oscal_export.py`: OSCAL 1.2.1 Assessment Results for a site and period (pure: frames in, dict out).
- `verify.py`: the Evidence page's verify button (the checks `osiris evidence verify` runs).

Pages: Overview, Sites and devices, Vulnerabilities, HIPAA safeguards (with the OSCAL export),
Flywheel, Evidence, Escalations. Each filters by the sidebar's sites and period, offers every table
as CSV, and shows a clear empty state when its mart is not published.

Marts read (name, producer, what it holds; columns, * = required). A mart missing a required column
is reported by name; absent optional columns read as nulls. `schema.py` is the source of truth.

- `compliance_rates`, warehouse (pipelines/marts): site × UTC day × check type: checks run and their
  results.
    site_id*, day*, check_type*, checks, devices, passed*, failed*, not_applicable, errors,
    compliance_rate
- `device_compliance`, warehouse (pipelines/marts): one row per device: latest result of each check,
  rolled up, plus the scan.
    site_id*, host*, platform, ip, device_type, in_inventory, checks*, passed*, failed*, not_applicable,
    errors, compliance_rate, compliant, failing_checks, last_checked_at, last_scanned_at
- `cve_exposure`, warehouse (pipelines/marts): site × device × CVE with CVSS, KEV and whether an open port
  serves it.
    site_id*, host*, cve_id*, cpe, cvss_score*, cvss_version, cvss_vector, attack_vector, base_severity,
    exposed*, exposed_ports, kev, kev_due, description, published, last_modified, severity*,
    last_observed_at
- `control_coverage`, warehouse (pipelines/marts): site × HIPAA element × 800-53 control × check with the
  latest status.
    site_id*, hipaa_element*, element_title, element_type, safeguard, control_id*, control_label,
    control_title, check_type*, via, devices, passed, failed, not_applicable, errors, status*
- `tier_distribution`, warehouse (pipelines/marts): site × week × tier: incidents finally handled by each
  tier.
    site_id*, week*, tier*, incidents*, healed, mean_duration_ms, share
- `l2_costs`, warehouse (pipelines/marts): site × day × provider × model: L2 decisions, tokens, cost and
  latency.
    site_id*, day*, provider, model, decisions*, input_tokens, output_tokens, cost_usd*, mean_cost_usd,
    mean_latency_ms, p95_latency_ms, human_reviews
- `l2_confidence`, warehouse (pipelines/marts): site × confidence decile: L2 decisions and how their
  incidents ended.
    site_id*, confidence_bucket*, decisions*, mean_confidence, with_outcome*, healed*, failed, escalated,
    human_reviews, success_rate
- `sites`, warehouse (expected): site names for display (ids are shown without it).
    site_id*, name*
- `incidents`, warehouse (expected): one row per incident with its current state.
    site_id*, incident_id*, host*, check_type*, severity, observed_at*, status*, tier, outcome,
    resolved_at
- `device_checks`, warehouse (expected): site × device × check: the latest result.
    site_id*, host*, check_type*, status*, observed_at
- `healing_history` (also read as healing_outcomes), warehouse (expected): every healing outcome: tier,
  runbook, rule, result.
    site_id*, host*, incident_id, tier*, status*, runbook_id, rule_id, duration_ms, finished_at*
- `open_ports`, warehouse (expected): the open ports of each device's latest scan.
    site_id*, host*, port*, proto, service, product, scanned_at
- `flywheel_candidates` (also read as rule_candidates, candidates), flywheel (expected): the last
  evaluation of each (pattern, runbook).
    pattern_signature*, runbook_id*, check_type, platform, n*, successes*, wilson_lower*, wilson_upper,
    sites, human_review_share, monthly_cost_usd, rule_id, verdict*, reasons, evaluated_at
- `flywheel_rules` (also read as promoted_rules, rules), flywheel (expected): promoted rules and their
  stage.
    rule_id*, status*, pattern_signature, runbook_id, sites, reason, status_since, created_at
- `flywheel_audit` (also read as rule_audit), flywheel (expected): every promotion, stage change and
  demotion, with evidence.
    id, rule_id*, action*, from_status, to_status*, reason*, evidence, actor, bundle_version, created_at*
- `evidence_chain` (also read as evidence_chain_status), evidence (pipelines/evidence): per site: the hash
  chain's length, head and health.
    site_id*, bundles*, head_seq, head_hash, last_bundle_at, chain_ok*, breaks, first_break, unbatched,
    pending, confirmed, anchored_up_to, checked_at
- `evidence_batches` (also read as evidence_stamps), evidence (pipelines/evidence): Merkle batches and
  their OpenTimestamps stamps.
    site_id*, batch_id*, first_seq, last_seq, root, leaf_count, status*, block_height, block_time,
    created_at, stamped_at, upgraded_at, last_error
- `evidence_bundles`, evidence (pipelines/evidence): every chained evidence bundle with its hashes.
    site_id*, bundle_id*, seq, kind, check_type*, target, result, bundle_hash*, chain_hash, batch_id,
    anchor_status, block_height, created_at*
- `escalations`, L3 (expected): escalation heads: the queue and what happened to each.
    escalation_id*, site_id*, incident_id, host, check_type, severity, reason, status*, occurrences,
    channels, requested_at*, notified_at, resolved_at
- `escalation_attempts`, L3 (expected): every delivery attempt: channel, answer, error.
    escalation_id*, site_id, channel*, action, attempt, ok*, status_code, error, latency_ms, attempted_at*
"""

"""OSCAL 1.2.1 Assessment Results for one site and period, built from the published marts.

Pure: frames in, a JSON-ready dict out (no Streamlit, no files). What goes where:
- observations: one per check type that ran at the site in the period (method TEST), counting its
  results, each pointing at the evidence bundles of that check (back-matter resources carrying the
  bundle and chain hashes, linked to the file an auditor's export package holds for it);
- findings: one per (800-53 control, failed check): the control is "not-satisfied", with the HIPAA
  elements it serves; a failed check that reaches no control is a finding on the check itself;
- risks: POA&M-ready items from the site's escalations still open at the period's end, with a
  planned remediation, and linked from the findings on the same check.
Every uuid is a uuid5 of what it stands for, so the same marts give the same document.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import polars as pl

from analytics_app.errors import ExportError

OSCAL_VERSION = "1.2.1"
PROP_NS = "https://osiris.invalid/ns/oscal"
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, PROP_NS)
_RISK_STATUS = {"acknowledged": "investigating"}  # everything else still open is "open"


def _uuid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(str(p) for p in parts)))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _token(text: str, prefix: str) -> str:
    # OSCAL tokens are XML NCNames: a letter or _ first, then letters, digits, '.', '-', '_'.
    body = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")
    return body if re.match(r"^[A-Za-z_]", body) else f"{prefix}-{body}"


def _prop(name: str, value: object) -> dict[str, str]:
    return {"name": name, "ns": PROP_NS, "value": str(value).strip() or "-"}


def _line(text: str) -> str:
    return " ".join(str(text).split()) or "-"


def assessment_results(site_id: str, start: date, end: date, *, coverage: pl.DataFrame | None,
                       results: pl.DataFrame | None, bundles: pl.DataFrame | None = None,
                       escalations: pl.DataFrame | None = None, site_name: str | None = None,
                       generated_at: datetime | None = None) -> dict[str, Any]:
    """The `{"assessment-results": …}` document for `site_id` over the inclusive UTC days start..end.

    `coverage` is the `control_coverage` mart, `results` `compliance_rates`, `bundles`
    `evidence_bundles`, `escalations` `escalations` (the last two may be None: not published yet).
    """
    if end < start:
        raise ExportError(f"the period ends ({end}) before it starts ({start})")
    if results is None:
        raise ExportError("no check results: the `compliance_rates` mart has not been published")
    begin, finish = datetime.combine(start, time.min, UTC), datetime.combine(end, time(23, 59, 59), UTC)
    key = (site_id, start.isoformat(), end.isoformat())
    name = site_name or site_id
    checks = _check_results(results, site_id, start, end)
    mapping = _mapping(coverage, site_id)
    resources, evidence = _evidence(bundles, site_id, start, end, key)
    observations = [_observation(row, evidence.get(row["check_type"], []), key, finish) for row in checks]
    risks, risks_by_check = _risks(escalations, site_id, finish, key)
    findings = _findings(checks, mapping, risks_by_check, key)
    controls = sorted({c for c in mapping["control_id"].drop_nulls().to_list()}) if mapping.height else []
    selection: dict[str, Any] = ({"include-controls": [{"control-id": c} for c in controls]} if controls
                                 else {"include-all": {}})
    plan = _uuid("plan", *key)
    result: dict[str, Any] = {
        "uuid": _uuid("result", *key),
        "title": _line(f"HIPAA Security Rule automated checks: {name}, {start} to {end}"),
        "description": (f"Drift checks run by the Osiris appliance at {name} between {start} and {end} (UTC), "
                        "mapped to NIST SP 800-53 rev5 through NIST's HIPAA crosswalk (SP 800-66r2)."),
        "start": _stamp(begin),
        "end": _stamp(finish),
        "props": [_prop("site-id", site_id)],
        "reviewed-controls": {"control-selections": [selection]},
    }
    for field, items in (("observations", observations), ("risks", risks), ("findings", findings)):
        if items:  # OSCAL arrays must not be empty: an absent list means "none"
            result[field] = items
    moment = generated_at or finish
    return {"assessment-results": {
        "uuid": _uuid("assessment-results", *key),
        "metadata": {"title": _line(f"Assessment results: {name}, {start} to {end}"),
                     "last-modified": _stamp(moment), "version": _stamp(moment), "oscal-version": OSCAL_VERSION,
                     "props": [_prop("site-id", site_id)]},
        "import-ap": {"href": f"#{plan}",
                      "remarks": "Continuous monitoring by the site's Osiris appliance; no separate plan file."},
        "results": [result],
        "back-matter": {"resources": [
            {"uuid": plan, "title": "Osiris continuous monitoring",
             "description": "Every managed device runs each drift check on a schedule; results are signed, "
                            "chained per site and timestamped on Bitcoin (OpenTimestamps)."},
            *resources]},
    }}


def summary(site_id: str, start: date, end: date, *, coverage: pl.DataFrame | None, results: pl.DataFrame | None,
            bundles: pl.DataFrame | None = None, escalations: pl.DataFrame | None = None) -> dict[str, int]:
    """What `assessment_results` would hold (observations, findings, risks, evidence), without building it."""
    if results is None or end < start:
        return {"observations": 0, "findings": 0, "risks": 0, "evidence": 0}
    key = (site_id, start.isoformat(), end.isoformat())
    checks = _check_results(results, site_id, start, end)
    risks, by_check = _risks(escalations, site_id, datetime.combine(end, time(23, 59, 59), UTC), key)
    evidence = 0 if bundles is None else bundles.filter(
        (pl.col("site_id") == site_id) & pl.col("created_at").dt.date().is_between(start, end)).height
    return {"observations": len(checks), "findings": len(_findings(checks, _mapping(coverage, site_id), by_check, key)),
            "risks": len(risks), "evidence": evidence}


def _check_results(results: pl.DataFrame, site_id: str, start: date, end: date) -> list[dict[str, Any]]:
    rows = results.filter((pl.col("site_id") == site_id) & (pl.col("day") >= start) & (pl.col("day") <= end))
    return (rows.group_by("check_type")
            .agg(pl.col("passed", "failed", "not_applicable", "errors").sum(), pl.col("day").max().alias("last_day"))
            .sort("check_type").to_dicts())


def _mapping(coverage: pl.DataFrame | None, site_id: str) -> pl.DataFrame:
    cols = ["hipaa_element", "control_id", "control_label", "control_title", "check_type"]
    if coverage is None:
        return pl.DataFrame(schema=dict.fromkeys(cols, pl.Utf8))
    return (coverage.filter((pl.col("site_id") == site_id) & pl.col("check_type").is_not_null())
            .select(cols).unique().sort(cols, nulls_last=True))


def _evidence(bundles: pl.DataFrame | None, site_id: str, start: date, end: date,
              key: tuple[str, ...]) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    if bundles is None:
        return [], {}
    rows = (bundles.filter((pl.col("site_id") == site_id) & (pl.col("created_at").dt.date() >= start)
                           & (pl.col("created_at").dt.date() <= end))
            .sort("seq", "bundle_id").to_dicts())
    resources, by_check = [], {}
    for row in rows:
        ref = _uuid("evidence", row["bundle_id"], *key)
        props = [_prop("bundle-id", row["bundle_id"]), _prop("bundle-hash", row["bundle_hash"])]
        if row.get("chain_hash"):
            props.append(_prop("chain-hash", row["chain_hash"]))
        resource = {"uuid": ref, "title": _line(f"Evidence bundle {row['bundle_id']}"),
                    "description": _line(f"{row.get('kind') or 'check'} {row['check_type']} on "
                                         f"{row.get('target') or 'target'}: {row.get('result') or 'recorded'} "
                                         f"at {_stamp(row['created_at'])}"),
                    "props": props}
        if row.get("seq") is not None:
            resource["rlinks"] = [{"href": f"bundles/{int(row['seq']):08d}.json"}]
        resources.append(resource)
        by_check.setdefault(row["check_type"], []).append(
            {"href": f"#{ref}", "description": resource["description"], "props": props[1:]})
    return resources, by_check


def _observation(row: dict[str, Any], evidence: list[dict[str, Any]], key: tuple[str, ...],
                 finish: datetime) -> dict[str, Any]:
    total = row["passed"] + row["failed"] + row["not_applicable"] + row["errors"]
    collected = min(datetime.combine(row["last_day"], time(23, 59, 59), UTC), finish)
    obs: dict[str, Any] = {
        "uuid": _uuid("observation", row["check_type"], *key),
        "title": _line(f"{row['check_type']}: {row['passed']} passed, {row['failed']} failed"),
        "description": (f"{total} automated {row['check_type']} results: {row['passed']} passed, {row['failed']} "
                        f"failed, {row['not_applicable']} not applicable, {row['errors']} could not run."),
        "props": [_prop("check-type", row["check_type"]), _prop("passed", row["passed"]),
                  _prop("failed", row["failed"])],
        "methods": ["TEST"],
        "types": ["finding" if row["failed"] else "control-objective"],
        "collected": _stamp(collected),
    }
    if evidence:
        obs["relevant-evidence"] = evidence
    return obs


def _findings(checks: list[dict[str, Any]], mapping: pl.DataFrame, risks: dict[str, list[str]],
              key: tuple[str, ...]) -> list[dict[str, Any]]:
    out = []
    for row in checks:
        if not row["failed"]:
            continue
        check = row["check_type"]
        observation = _uuid("observation", check, *key)
        links = mapping.filter(pl.col("check_type") == check)
        targets: dict[str, dict[str, Any]] = {}
        for link in links.to_dicts():
            target = link["control_id"] or _token(link["hipaa_element"] or check, "hipaa")
            entry = targets.setdefault(target, {"label": link["control_label"] or target,
                                                "title": link["control_title"], "elements": set()})
            if link["hipaa_element"]:
                entry["elements"].add(link["hipaa_element"])
        if not targets:
            targets[_token(f"check-{check}", "check")] = {"label": check, "title": None, "elements": set()}
        for target, info in sorted(targets.items()):
            what = f"{info['label']} {info['title']}" if info["title"] else info["label"]
            finding: dict[str, Any] = {
                "uuid": _uuid("finding", target, check, *key),
                "title": _line(f"{what}: not satisfied ({check} failed {row['failed']} times)"),
                "description": (f"{check} failed {row['failed']} of {row['passed'] + row['failed']} decisive "
                                f"results in the period."),
                "props": [_prop("check-type", check)] + [_prop("hipaa-element", e) for e in sorted(info["elements"])],
                "target": {"type": "objective-id", "target-id": _token(target, "control"),
                           "status": {"state": "not-satisfied", "reason": "fail"}},
                "related-observations": [{"observation-uuid": observation}],
            }
            if risks.get(check):
                finding["related-risks"] = [{"risk-uuid": r} for r in risks[check]]
            out.append(finding)
    return out


def _risks(escalations: pl.DataFrame | None, site_id: str, finish: datetime,
           key: tuple[str, ...]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    if escalations is None:
        return [], {}
    rows = (escalations.filter((pl.col("site_id") == site_id) & (pl.col("status") != "resolved")
                               & (pl.col("requested_at") <= finish))
            .sort("requested_at", "escalation_id").to_dicts())
    risks, by_check = [], {}
    for row in rows:
        ref = _uuid("risk", row["escalation_id"], *key)
        what = f"{row.get('check_type') or 'drift'} on {row.get('host') or 'a device'}"
        risks.append({
            "uuid": ref,
            "title": _line(f"Open escalation: {what}"),
            "description": _line(f"{row.get('reason') or 'escalated to a human'} (severity "
                                 f"{row.get('severity') or 'unknown'}, {row.get('occurrences') or 1} occurrence(s))"),
            "statement": _line(f"Until {what} is remediated the device does not meet the safeguard its check "
                               "evidences."),
            "props": [_prop("escalation-id", row["escalation_id"]), _prop("escalation-status", row["status"]),
                      _prop("severity", row.get("severity") or "unknown"),
                      _prop("incident-id", row.get("incident_id") or "-")],
            "status": _RISK_STATUS.get(row["status"], "open"),
            "remediations": [{"uuid": _uuid("remediation", row["escalation_id"], *key), "lifecycle": "planned",
                              "title": _line(f"Remediate {what}"),
                              "description": "Correct the drift, then let the appliance re-run the check; the "
                                             "escalation resolves when the check passes again."}],
        })
        by_check.setdefault(row.get("check_type") or "", []).append(ref)
    return risks, by_check

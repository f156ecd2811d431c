"""Incident models and the pattern signature: stable across places, distinct across kinds of drift."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.incidents import (
    HealingOutcome,
    Incident,
    L2Decision,
    OutcomeStatus,
    Severity,
    Tier,
    _safe_severity,
    pattern_signature,
)

hostnames = st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z]{2,8}){0,2}", fullmatch=True)
ipv4 = st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t)))
times = st.datetimes(timezones=st.just(__import__("datetime").UTC))
counters = st.integers(min_value=0, max_value=10**9)
check_types = st.sampled_from(["firewall_status", "bitlocker_status", "smbv1_enabled", "sshd_root_login"])
platforms = st.sampled_from(["windows", "linux", "nixos"])
categorical = st.sampled_from(["public", "private", "domain", "disabled", "enabled", "v1", "nla_off"])


def _incident(check_type, platform, category, host, ip, when, count) -> Incident:
    return Incident(
        site_id="site-" + host,
        host=host,
        check_type=check_type,
        platform=platform,
        observed_at=when,
        details={"profile": category, "ip": ip, "host_ip": ip, "failure_count": count, "last_seen": str(when),
                 "hostname": host, "nested": {"mode": category, "pid": count}},
    )


@given(check_types, platforms, categorical, hostnames, hostnames, ipv4, ipv4, times, times, counters, counters)
def test_signature_unchanged_by_hosts_ips_times_counters(ct, pf, cat, h1, h2, ip1, ip2, t1, t2, c1, c2):
    a = _incident(ct, pf, cat, h1, ip1, t1, c1)
    b = _incident(ct, pf, cat, h2, ip2, t2, c2)
    assert a.pattern_signature == b.pattern_signature


@given(check_types, check_types, platforms, platforms, categorical, categorical, hostnames, ipv4, times, counters)
def test_signature_differs_for_different_drift(ct1, ct2, pf1, pf2, cat1, cat2, host, ip, when, count):
    a = _incident(ct1, pf1, cat1, host, ip, when, count)
    b = _incident(ct2, pf2, cat2, host, ip, when, count)
    same_kind = (ct1, pf1, cat1) == (ct2, pf2, cat2)
    assert (a.pattern_signature == b.pattern_signature) == same_kind


def test_signature_is_short_stable_hex():
    sig = pattern_signature({"check_type": "firewall_status", "platform": "windows", "details": {}})
    assert len(sig) == 16 and int(sig, 16) >= 0
    assert sig == pattern_signature({"platform": "Windows", "check_type": "firewall_status"})


def test_signature_ignores_key_order_and_case_of_values():
    a = {"check_type": "x", "platform": "linux", "details": {"a": "On", "b": "off"}}
    b = {"platform": "linux", "details": {"b": "OFF", "a": "on"}, "check_type": "x"}
    assert pattern_signature(a) == pattern_signature(b)


@pytest.mark.parametrize("value", ["bogus", None, 3, "HIGH"])
def test_safe_severity_unknown_falls_back(value):
    sev = _safe_severity(value)
    assert isinstance(sev, Severity)
    if value == "HIGH":
        assert sev is Severity.HIGH
    elif value != "HIGH":
        assert sev is Severity.MEDIUM


def test_incident_unknown_severity_from_peer_does_not_crash():
    inc = Incident(site_id="s", host="h", check_type="c", platform="linux", severity="catastrophic")
    assert inc.severity is Severity.MEDIUM


@pytest.mark.parametrize(("confidence", "runbook", "review"), [(0.95, "RB-X", False), (0.69, "RB-X", True),
                                                               (0.99, None, True), (0.7, "RB-X", False)])
def test_decision_low_confidence_requires_human_review(confidence, runbook, review):
    d = L2Decision(incident_id="i", site_id="s", runbook_id=runbook, confidence=confidence,
                   pattern_signature="abc", requires_human_review=False)
    assert d.requires_human_review is review


def test_decision_confidence_out_of_range_rejected():
    with pytest.raises(ValueError):
        L2Decision(incident_id="i", site_id="s", runbook_id="RB-X", confidence=1.5, pattern_signature="a")


def test_outcome_success_only_when_healed():
    base = dict(incident_id="i", site_id="s", tier=Tier.L1, pattern_signature="a")
    assert HealingOutcome(status=OutcomeStatus.HEALED, **base).success
    assert not HealingOutcome(status=OutcomeStatus.FAILED, **base).success

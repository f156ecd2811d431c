"""Email channel against a real aiosmtpd server on 127.0.0.1: STARTTLS, verified certificate, AUTH, MIME."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts.incidents import Severity
from serving.l3.channels import Notice
from serving.l3.channels.email import EmailChannel, thread_id
from serving.l3.delivery import RetryPolicy, deliver
from tests.serving.l3.conftest import fast
from tests.serving.l3.receivers import SMTP_PASSWORD, SMTP_USER, smtp_server


def _notice(action="trigger", **kw) -> Notice:
    values = dict(action=action, dedup_key="inc-42", escalation_id="e-1", site_id="s-1", site_name="Main Street Clinic",
                  incident_id="inc-42", host="pc-7", check_type="firewall_status", severity=Severity.CRITICAL,
                  reason="no runbook fits", requested_at=datetime(2026, 11, 26, 9, 30, tzinfo=UTC),
                  details={"profile": "domain", "enabled": False, "note": "<script>alert(1)</script>"},
                  hipaa_controls=["164.312(a)(1)", "164.312(e)(1)"], occurrences=1)
    values.update(kw)
    return Notice(**values)


def _settings(pki, port: int, **kw):
    values = dict(smtp_host="127.0.0.1", smtp_port=port, smtp_username=SMTP_USER, smtp_password=SMTP_PASSWORD,
                  smtp_from="osiris@msp.example", smtp_to=["oncall@msp.example", "officer@clinic.example"],
                  smtp_ca_file=pki.ca_file, smtp_timeout_s=5)
    values.update(kw)
    return fast(**values)


async def test_email_starttls_sends_html_and_text_parts(pki):
    with smtp_server(pki) as server:
        attempt = await EmailChannel(_settings(pki, server.port)).send(_notice())
    assert attempt.ok, attempt.error
    assert len(server.mails) == 1
    mail = server.mails[0]
    assert mail.tls is True and mail.login == SMTP_USER
    assert mail.recipients == ["oncall@msp.example", "officer@clinic.example"]
    msg = mail.message
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "Osiris: [CRITICAL] firewall_status drift on pc-7 (Main Street Clinic)"
    assert msg["X-Osiris-Dedup-Key"] == "inc-42"
    assert msg["Message-ID"] == thread_id(_notice())
    parts = {p.get_content_type(): p.get_content() for p in msg.iter_parts()}
    assert set(parts) == {"text/plain", "text/html"}
    text, html = parts["text/plain"], parts["text/html"]
    for fact in ("Main Street Clinic", "pc-7", "164.312(a)(1)", "164.312(e)(1)", '"profile": "domain"'):
        assert fact in text
    assert "background:#B00020" in html  # the critical colour on the header
    assert "164.312(e)(1)" in html and "Main Street Clinic" in html and "pc-7" in html
    assert "&quot;profile&quot;: &quot;domain&quot;" in html
    assert "<script>" not in html and "&lt;script&gt;" in html


async def test_email_followup_threads_under_first_message(pki):
    with smtp_server(pki) as server:
        attempt = await EmailChannel(_settings(pki, server.port)).send(
            _notice("followup", resolution="healed on the appliance: the check passes again"))
    assert attempt.ok
    msg = server.mails[0].message
    assert msg["In-Reply-To"] == thread_id(_notice()) and msg["References"] == thread_id(_notice())
    assert msg["Subject"].startswith("Osiris: Resolved: firewall_status drift on pc-7")
    html = msg.get_body(("html",)).get_content()
    assert "background:#2E7D32" in html


async def test_email_untrusted_certificate_refused_not_retried(pki):
    with smtp_server(pki) as server:
        channel = EmailChannel(_settings(pki, server.port, smtp_ca_file=None))
        attempts = await deliver(channel, _notice(), RetryPolicy(max_attempts=3, base_s=0.001))
    assert len(attempts) == 1 and not attempts[0].ok and not attempts[0].retryable
    assert "certificate" in (attempts[0].error or "").lower()
    assert server.mails == []


async def test_email_temporary_failure_twice_then_accepted(pki):
    with smtp_server(pki, "451 4.3.0 try again later", "451 4.3.0 try again later") as server:
        channel = EmailChannel(_settings(pki, server.port))
        attempts = await deliver(channel, _notice(), RetryPolicy(max_attempts=4, base_s=0.001))
    assert [a.ok for a in attempts] == [False, False, True]
    assert [a.status_code for a in attempts] == [451, 451, 250]
    assert len(server.mails) == 1


async def test_email_permanent_refusal_not_retried(pki):
    with smtp_server(pki, "554 5.7.1 rejected by policy") as server:
        attempts = await deliver(EmailChannel(_settings(pki, server.port)), _notice(),
                                 RetryPolicy(max_attempts=4, base_s=0.001))
    assert len(attempts) == 1 and attempts[0].status_code == 554 and not attempts[0].retryable


async def test_email_wrong_password_not_retried_and_password_not_shown(pki):
    with smtp_server(pki) as server:
        attempts = await deliver(EmailChannel(_settings(pki, server.port, smtp_password="wrong-" + "x" * 12)),
                                 _notice(), RetryPolicy(max_attempts=3, base_s=0.001))
    assert len(attempts) == 1 and attempts[0].status_code == 535
    assert "wrong-" not in (attempts[0].error or "") and SMTP_PASSWORD not in (attempts[0].error or "")


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_email_no_server_connection_refused_retryable(pki, security):
    attempt = await EmailChannel(_settings(pki, 1, smtp_security=security, smtp_timeout_s=2)).send(_notice())
    assert not attempt.ok and attempt.retryable

"""No secret in any log line: a representative flow runs with every logger at DEBUG, and the records are searched.

The flow: a role token made by `osiris tokens create`, an appliance provisioned (API key), a credential
with a password, sudo password and private key, check-ins (credentials sealed to the appliance),
telemetry of every kind, an escalation delivered to Slack, Teams, PagerDuty and email (webhook URLs,
routing key, SMTP password; the Slack receiver fails once so the retry path logs too), L2 plans through
a fake Anthropic with an API key (one accepted, one refused with 401), an enrollment token, and
requests with wrong credentials. Every log record (message, arguments, exception text) and everything
written to stdout / stderr is searched for each secret.
"""

from __future__ import annotations

import base64
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from serving.l2.planner import Planner
from serving.l3.engine import Engine
from tests.conftest import REPO
from tests.serving import factories
from tests.serving.factories import bearer
from tests.serving.l2 import fake_anthropic as fa
from tests.serving.l2.conftest import firewall_incident, llm_settings, request_for
from tests.serving.l3.conftest import fast
from tests.serving.l3.receivers import SMTP_PASSWORD, SMTP_USER, Reply, http_receiver, make_pki, smtp_server

pytestmark = pytest.mark.timeout(120)

TEAMS_PATH = "/webhookb2/teams-secret-0123456789abcdef/IncomingWebhook/teamsTopSecretToken"
ROUTING_KEY = "pdRoutingKeySecret" + "9" * 14
SSH_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtopsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----"
PASSWORD, SUDO = "Winter2026!db-password", "sudo-Spring2026!"
WRONG_KEY, WRONG_TOKEN = "osa_" + "w" * 43, "ost_" + "v" * 43


class _Capture(logging.Handler):
    """Every record, formatted with its exception text, plus its raw arguments."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.names: set[str] = set()
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # noqa: BLE001 - a record that cannot format is still searched
            self.lines.append(f"{record.name}: {record.msg!r} {record.args!r} ({exc})")
        self.lines.append(repr(record.args))


@pytest.fixture
def captured() -> Iterator[_Capture]:
    """Every logger at DEBUG, all records into one handler (also those of loggers that do not propagate)."""
    capture = _Capture()
    loggers = [logging.getLogger()] + [lg for lg in logging.root.manager.loggerDict.values()
                                       if isinstance(lg, logging.Logger)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if lg is logging.getLogger() or not lg.propagate:
            lg.addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
            if capture in lg.handlers:
                lg.removeHandler(capture)


def _cli_token(db_url: str, home) -> tuple[str, str]:
    env = {**os.environ, "DATABASE_URL": db_url, "OSIRIS_HOME": str(home)}
    proc = subprocess.run([sys.executable, "-m", "cli.main", "tokens", "create", "--role", "auditor"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1], proc.stderr


async def test_no_secret_in_any_log_line(api, db_url, tmp_path, captured, capfd):
    (tmp_path / "pki").mkdir()
    pki = make_pki(tmp_path / "pki")
    secrets: dict[str, str] = {"admin token": api.admin, "wrong API key": WRONG_KEY, "wrong token": WRONG_TOKEN,
                               "password": PASSWORD, "sudo password": SUDO, "SSH key": "topsecretkeymaterial",
                               "Anthropic key": fa.API_KEY, "PagerDuty routing key": ROUTING_KEY,
                               "SMTP password": SMTP_PASSWORD, "Teams webhook": "teamsTopSecretToken",
                               "Slack webhook": "xoxTopSecretWebhookToken"}
    auditor, cli_stderr = _cli_token(db_url, tmp_path / "cli-home")
    secrets["auditor token (CLI)"] = auditor
    assert auditor not in cli_stderr

    with ExitStack() as stack:
        slack = stack.enter_context(http_receiver(Reply(500, "oops"), Reply(200, "ok")))
        teams = stack.enter_context(http_receiver(Reply(200, "1"), path=TEAMS_PATH))
        pd = stack.enter_context(http_receiver(Reply(202, '{"status":"success"}'), path="/v2/enqueue"))
        smtp = stack.enter_context(smtp_server(pki))
        anthropic_ok = stack.enter_context(fa.serve([fa.tool("RB-WIN-FIREWALL-001", 0.93)]))
        anthropic_refusing = stack.enter_context(fa.serve([fa.error(401, "authentication_error")]))
        api.app.state.l3_engine = Engine(fast(
            slack_webhook_url=slack.url, teams_webhook_url=teams.url, pagerduty_routing_key=ROUTING_KEY,
            pagerduty_events_url=pd.url, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_username=SMTP_USER,
            smtp_password=SMTP_PASSWORD, smtp_ca_file=pki.ca_file, smtp_to=["it@clinic.example"],
            severity_channels={"critical": ["slack", "teams", "pagerduty", "email"]}))

        site = await factories.site(api.client, api.admin)
        appliance = await factories.appliance(api.client, api.admin, site)
        secrets["appliance API key"] = appliance.api_key
        for secret in ({"password": PASSWORD, "sudo_password": SUDO}, {"private_key": SSH_KEY}):
            r = await api.client.post(f"/api/sites/{site}/credentials", headers=bearer(api.admin),
                                      json={"host": "pc-1.clinic.lan", "username": "svc", **secret})
            assert r.status_code == 201, r.text
        r = await api.client.post(f"/api/sites/{site}/enrollment-tokens", json={}, headers=bearer(api.admin))
        assert r.status_code == 201, r.text
        secrets["enrollment token"] = r.json()["token"]
        for _ in range(2):
            r = await api.client.post("/api/appliances/checkin", headers=appliance.headers,
                                      json={"hostname": "appliance-1", "agent_version": "0.1.0"})
            assert r.status_code == 200 and r.json()["targets"], r.text

        events = factories.one_of_each(site, appliance=appliance)
        escalation = next(e for e in events if e["kind"] == "escalation")
        escalation["payload"]["severity"] = "critical"
        r = await api.client.post("/api/agent/telemetry", json={"events": events}, headers=appliance.headers)
        assert r.status_code == 200, r.text
        await api.app.state.l3_engine.drain()
        assert len(slack.posts) >= 2 and teams.posts and pd.posts and smtp.mails, "every channel was reached"

        from serving.l2.catalog import load_runbooks

        catalog = load_runbooks()
        plan = request_for(firewall_incident(site), catalog).model_dump(mode="json")
        for server in (anthropic_ok, anthropic_refusing):
            api.app.state.l2_planner = Planner(llm_settings(server.base_url), catalog=catalog)
            r = await api.client.post("/api/agent/l2/plan", json=plan, headers=appliance.headers)
            assert r.status_code == 200, r.text
            await api.app.state.l2_planner.close()
        assert anthropic_ok.requests and anthropic_refusing.requests

        for wrong in (WRONG_KEY, WRONG_TOKEN):
            r = await api.client.get("/api/sites", headers=bearer(wrong))
            assert r.status_code == 401
        await api.app.state.l3_engine.close()

    key_text = api.app.state.settings.signing_key_file().read_text().split()[-1]
    secrets["server signing key"] = key_text
    secrets["server signing key (hex)"] = base64.b64decode(key_text).hex()

    out, err = capfd.readouterr()
    # The HTTP client libraries log every request at DEBUG / INFO: seeing them proves the capture works.
    assert {"httpx", "anthropic._base_client"} <= captured.names, sorted(captured.names)
    where = {"log records": "\n".join(captured.lines), "stdout/stderr": out + err}
    leaks = [f"{what} in {place}" for what, secret in secrets.items() for place, text in where.items()
             if secret in text]
    for what, secret in secrets.items():
        for line in captured.lines:
            if secret in line:
                leaks.append(f"  {what}: {line[:300]}")
                break
    assert not leaks, "secrets in logs:\n" + "\n".join(leaks)
    # httpx still logs each webhook request, with the URL cut to its origin (serving.l3.channels._http).
    assert any("HTTP Request: POST" in line and "/***" in line for line in captured.lines)

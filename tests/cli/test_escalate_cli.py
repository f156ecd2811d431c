"""`osiris escalate test` as a subprocess against real receivers on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import osiris_cmd
from tests.serving.l3.receivers import SMTP_PASSWORD, SMTP_USER, Reply, http_receiver, make_pki, smtp_server


def _run(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("OSIRIS_L3_")}
    return subprocess.run([*osiris_cmd(), "escalate", "test", *args], env={**clean, **env},
                          capture_output=True, text=True, timeout=60)


def test_escalate_test_slack_prints_receiver_answer():
    with http_receiver(Reply(200, "ok")) as slack:
        r = _run("--channel", "slack", "--json", OSIRIS_L3_SLACK_WEBHOOK_URL=slack.url)
    assert r.returncode == 0, r.stderr
    answer = json.loads(r.stdout.strip().splitlines()[-1])
    assert (answer["ok"], answer["status_code"], answer["response"]) == (True, 200, "ok")
    assert slack.bodies[0]["text"].startswith("[TEST] [HIGH] firewall_status drift on test-device")
    assert "xoxTopSecret" not in r.stdout + r.stderr


def test_escalate_test_pagerduty_triggers_then_resolves():
    accepted = Reply(202, '{"status":"success","message":"Event processed"}')
    with http_receiver(accepted, path="/v2/enqueue") as pd:
        r = _run("--channel", "pagerduty", "--severity", "critical",
                 OSIRIS_L3_PAGERDUTY_ROUTING_KEY="R" * 32, OSIRIS_L3_PAGERDUTY_EVENTS_URL=pd.url)
    assert r.returncode == 0, r.stderr
    assert [b["event_action"] for b in pd.bodies] == ["trigger", "resolve"]
    assert pd.bodies[0]["dedup_key"] == pd.bodies[1]["dedup_key"]
    assert "pagerduty trigger: accepted 202" in r.stdout and "pagerduty resolve: accepted 202" in r.stdout


def test_escalate_test_email_over_starttls(tmp_path: Path):
    pki = make_pki(tmp_path)
    with smtp_server(pki) as server:
        r = _run("--channel", "email", OSIRIS_L3_SMTP_HOST="127.0.0.1", OSIRIS_L3_SMTP_PORT=str(server.port),
                 OSIRIS_L3_SMTP_USERNAME=SMTP_USER, OSIRIS_L3_SMTP_PASSWORD=SMTP_PASSWORD,
                 OSIRIS_L3_SMTP_TO='["oncall@msp.example"]', OSIRIS_L3_SMTP_CA_FILE=str(pki.ca_file))
    assert r.returncode == 0, r.stderr
    assert "email trigger: accepted 250" in r.stdout
    assert server.mails[0].message["Subject"].startswith("Osiris: [TEST]")
    assert SMTP_PASSWORD not in r.stdout + r.stderr


def test_escalate_test_receiver_refusal_exits_1_one_line():
    with http_receiver(Reply(404, "no_service")) as teams:
        r = _run("--channel", "teams", OSIRIS_L3_TEAMS_WEBHOOK_URL=teams.url)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: teams refused the test trigger")
    assert "no_service" in r.stdout and "Traceback" not in r.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (("--channel", "slack"), 1, "channel 'slack' is not configured"),
    (("--channel", "sms"), 2, "unknown channel 'sms'"),
    (("--channel", "slack", "--severity", "dire"), 2, "unknown severity"),
])
def test_escalate_test_bad_channel_one_line(args, code, message):
    r = _run(*args)
    assert r.returncode == code
    assert message in r.stderr and r.stderr.count("\n") == 1


def test_escalate_test_invalid_setting_one_line():
    r = _run("--channel", "email", OSIRIS_L3_SMTP_HOST="127.0.0.1", OSIRIS_L3_SMTP_PORT="seventy")
    assert r.returncode == 1
    assert r.stderr.startswith("error: invalid OSIRIS_L3_ setting smtp_port") and r.stderr.count("\n") == 1

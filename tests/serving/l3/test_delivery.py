"""The retry loop on its own, with an in-memory channel: backoff, Retry-After, and both bounds.

The real receivers (HTTP and SMTP) exercise the same loop in test_engine.py and test_email.py;
these pin the arithmetic without waiting for it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from contracts.incidents import Severity
from serving.l3.channels import Attempt, Channel, Notice
from serving.l3.channels._http import redact_url, retry_after
from serving.l3.delivery import RetryPolicy, deliver

NOTICE = Notice(action="trigger", dedup_key="inc-1", escalation_id="e", site_id="s", site_name="Clinic",
                incident_id="inc-1", host="pc", check_type="firewall_status", severity=Severity.HIGH,
                reason="r", requested_at=datetime.now(UTC))


class Scripted(Channel):
    """Answers from a list of attempts (the last repeats)."""

    name = "slack"

    def __init__(self, *answers: Attempt):
        self.answers = list(answers)
        self.calls = 0

    async def send(self, notice: Notice) -> Attempt:
        self.calls += 1
        a = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return Attempt(a.channel, a.ok, a.retryable, a.status_code, a.response, a.error, a.retry_after)


class Sleeps:
    """Records requested sleeps instead of sleeping."""

    def __init__(self):
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _fail(status=503, retry_after=None, retryable=True) -> Attempt:
    return Attempt("slack", ok=False, retryable=retryable, status_code=status, retry_after=retry_after)


async def test_deliver_backoff_doubles_until_capped():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=6, base_s=1.0, max_delay_s=5.0, max_total_wait_s=100, jitter=0)
    attempts = await deliver(Scripted(_fail()), NOTICE, policy, sleep=sleeps)
    assert len(attempts) == 6 and [a.attempt for a in attempts] == [1, 2, 3, 4, 5, 6]
    assert sleeps.waits == [1.0, 2.0, 4.0, 5.0, 5.0]


async def test_deliver_retry_after_longer_than_backoff_wins():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, base_s=0.5, max_total_wait_s=100, jitter=0)
    ok = Attempt("slack", ok=True, status_code=200)
    attempts = await deliver(Scripted(_fail(429, retry_after=7.0), ok), NOTICE, policy, sleep=sleeps)
    assert [a.ok for a in attempts] == [False, True]
    assert sleeps.waits == [7.0]


async def test_deliver_retry_after_beyond_budget_gives_up_and_says_why():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=5, base_s=0.1, max_total_wait_s=60, jitter=0)
    attempts = await deliver(Scripted(_fail(429, retry_after=3600)), NOTICE, policy, sleep=sleeps)
    assert len(attempts) == 1 and sleeps.waits == []
    assert "retry budget" in attempts[0].error


async def test_deliver_total_wait_bounded():
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=20, base_s=1.0, max_delay_s=100, max_total_wait_s=10, jitter=0)
    attempts = await deliver(Scripted(_fail()), NOTICE, policy, sleep=sleeps)
    assert sum(sleeps.waits) <= 10
    assert sleeps.waits == [1.0, 2.0, 4.0] and len(attempts) == 4


async def test_deliver_permanent_failure_not_retried():
    sleeps = Sleeps()
    channel = Scripted(_fail(400, retryable=False))
    attempts = await deliver(channel, NOTICE, RetryPolicy(), sleep=sleeps)
    assert channel.calls == 1 and len(attempts) == 1 and sleeps.waits == []


async def test_deliver_records_each_attempt_as_it_happens():
    seen: list[tuple[int, bool]] = []

    async def record(a: Attempt) -> None:
        seen.append((a.attempt, a.ok))

    channel = Scripted(_fail(), _fail(), Attempt("slack", ok=True, status_code=200))
    await deliver(channel, NOTICE, RetryPolicy(jitter=0), record, sleep=Sleeps())
    assert seen == [(1, False), (2, False), (3, True)]


async def test_deliver_channel_bug_recorded_not_raised():
    class Broken(Channel):
        name = "teams"

        async def send(self, notice: Notice) -> Attempt:
            raise KeyError("bug")

    attempts = await deliver(Broken(), NOTICE, RetryPolicy(), sleep=Sleeps())
    assert len(attempts) == 1 and attempts[0].error == "channel error: KeyError"


@pytest.mark.parametrize(("header", "expected"), [("3", 3.0), ("0", 0.0), ("-4", 0.0), ("soon", None),
                                                  (None, None), ("", None)])
def test_retry_after_seconds_and_garbage(header, expected):
    assert retry_after(header) == expected


def test_retry_after_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    from email.utils import format_datetime

    assert 25 <= retry_after(format_datetime(when, usegmt=True)) <= 31


def test_redact_url_keeps_host_drops_secret_path():
    url = "https://hooks.slack.com/services/T000/B000/XXXXsecret?token=abc"
    assert redact_url(url) == "https://hooks.slack.com/***"
    assert "secret" not in redact_url(url) and "abc" not in redact_url(url)

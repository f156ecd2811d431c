"""Delivering one notice on one channel with retries: exponential backoff that honours Retry-After.

Bounded twice: at most `max_attempts` tries, and at most `max_total_wait_s` spent waiting between
them. A receiver asking (Retry-After) for longer than what is left of that budget is not retried at
all; the attempt records why. Every attempt is handed to `record` as it happens, so a crash between
attempts still leaves the earlier ones on file.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from serving.l3.channels import Attempt, Channel, Notice
from serving.l3.settings import L3Settings

Recorder = Callable[[Attempt], Awaitable[None]]
Sleeper = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try one channel."""

    max_attempts: int = 5
    base_s: float = 1.0
    max_delay_s: float = 60.0
    max_total_wait_s: float = 300.0
    jitter: float = 0.1

    @classmethod
    def from_settings(cls, settings: L3Settings) -> RetryPolicy:
        """The policy the settings describe."""
        return cls(settings.max_attempts, settings.backoff_base_s, settings.backoff_max_s, settings.max_total_wait_s)

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds before try `attempt + 1`: base·2^(attempt-1) capped, never less than Retry-After."""
        backoff = min(self.base_s * 2 ** (attempt - 1), self.max_delay_s)
        # Jitter spreads many senders' retries apart; it only ever adds, so Retry-After stays honoured.
        backoff *= 1 + random.uniform(0, self.jitter)  # noqa: S311 - not security
        return max(backoff, retry_after or 0.0)


async def deliver(channel: Channel, notice: Notice, policy: RetryPolicy, record: Recorder | None = None,
                  sleep: Sleeper = asyncio.sleep) -> list[Attempt]:
    """Try until the channel accepts, refuses for good, or the attempt or wait budget runs out."""
    attempts: list[Attempt] = []
    waited = 0.0
    for n in range(1, policy.max_attempts + 1):
        try:
            attempt = await channel.send(notice)
        except Exception as exc:  # noqa: BLE001 - a channel bug must not lose the escalation's record
            attempt = Attempt(channel.name, ok=False, retryable=False, error=f"channel error: {type(exc).__name__}")
        attempt.attempt = n
        wait = None
        if not attempt.ok and attempt.retryable and n < policy.max_attempts:
            wait = policy.delay(n, attempt.retry_after)
            if waited + wait > policy.max_total_wait_s:
                attempt.error = f"{attempt.error or 'failed'}; not retried: a {wait:.1f} s wait exceeds the " \
                                f"{policy.max_total_wait_s:.0f} s retry budget"
                wait = None
        attempts.append(attempt)
        if record is not None:
            await record(attempt)
        if wait is None:
            break
        await sleep(wait)
        waited += wait
    return attempts

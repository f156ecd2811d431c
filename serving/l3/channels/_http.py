"""POSTing JSON to a webhook and judging the answer: shared by Slack, Teams and PagerDuty.

The URL is a credential, so it never appears in an attempt: errors name the host only. httpx logs
every request's full URL at INFO, so its log records get the same redaction (see `_RedactUrls`).
"""

from __future__ import annotations

import email.utils
import logging
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from serving.l3.channels import Attempt, clip


def redact_url(url: str) -> str:
    """`https://hooks.slack.com/***`: scheme and host, never the path or query holding the secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/***"


class _RedactUrls(logging.Filter):
    """Rewrites the URL in httpx's "HTTP Request: POST <url>" records to its origin, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


# A logger's filters run for every record it emits, whoever configured the handlers: a deployment that
# turns on INFO or DEBUG logging still never writes a webhook's secret path.
logging.getLogger("httpx").addFilter(_RedactUrls())


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None when absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retryable_status(status: int) -> bool:
    """Worth another try: request timeout, rate limit, server trouble."""
    return status in (408, 425, 429) or status >= 500


async def post_json(client: httpx.AsyncClient, channel: str, url: str, body: dict[str, Any],
                    accept: tuple[int, ...] = (200, 201, 202, 204)) -> Attempt:
    """POST `body` once; the Attempt says what happened (the one place httpx errors are translated)."""
    started = time.perf_counter()
    try:
        response = await client.post(url, json=body)
    except httpx.TimeoutException as exc:
        return Attempt(channel, ok=False, retryable=True, error=f"timeout ({type(exc).__name__}) posting to "
                       f"{redact_url(url)}", latency_ms=(time.perf_counter() - started) * 1000)
    except httpx.HTTPError as exc:
        # Connection refused, TLS failure, protocol error: the message may embed the URL, so it is dropped.
        return Attempt(channel, ok=False, retryable=not isinstance(exc, httpx.UnsupportedProtocol),
                       error=f"{type(exc).__name__} posting to {redact_url(url)}",
                       latency_ms=(time.perf_counter() - started) * 1000)
    status = response.status_code
    ok = status in accept
    return Attempt(
        channel,
        ok=ok,
        retryable=not ok and retryable_status(status),
        status_code=status,
        response=clip(response.text),
        error=None if ok else f"HTTP {status} from {redact_url(url)}",
        retry_after=retry_after(response.headers.get("retry-after")),
        latency_ms=(time.perf_counter() - started) * 1000,
    )

"""Email over SMTP with STARTTLS (or implicit TLS): an HTML part and a plain-text part.

The server certificate is always verified (an extra CA file may be given); there is no plain-text
transport. Follow-ups thread under the first message (`In-Reply-To` its deterministic Message-ID),
so a mail client shows one conversation per incident, like the other channels' dedup key.
"""

from __future__ import annotations

import html
import re
import ssl
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from serving.l3 import render
from serving.l3.channels import Attempt, Channel, Notice, clip
from serving.l3.settings import L3Settings

_ID_SAFE = re.compile(r"[^A-Za-z0-9.-]")


def thread_id(notice: Notice) -> str:
    """The Message-ID of an incident's first email, which every follow-up replies to."""
    return f"<osiris.{_ID_SAFE.sub('-', notice.dedup_key)[:120]}@escalations.osiris>"


def html_body(notice: Notice) -> str:
    """The HTML part: a severity-coloured header, the facts as a table, the drift details."""
    esc = html.escape
    rows = "".join(
        f'<tr><th align="left" style="padding:4px 12px 4px 0;color:#555">{esc(k)}</th>'
        f'<td style="padding:4px 0">{esc(v)}</td></tr>'
        for k, v in render.fields(notice)
    )
    link = (f'<p><a href="{esc(notice.link, quote=True)}">Open in Osiris</a></p>' if notice.link else "")
    return (
        '<!DOCTYPE html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">'
        f'<div style="background:{render.colour(notice)};color:#fff;padding:12px 16px;font-size:16px;'
        f'font-weight:bold">{esc(render.title(notice))}</div>'
        f'<table style="margin:12px 0;border-collapse:collapse">{rows}</table>'
        '<h3 style="margin:16px 0 4px">Drift details</h3>'
        f'<pre style="background:#f5f5f5;padding:8px;white-space:pre-wrap">{esc(render.details_text(notice, 20_000))}</pre>'
        f'{link}<p style="color:#888;font-size:12px">Dedup key: {esc(notice.dedup_key)}</p>'
        "</body></html>"
    )


def message(notice: Notice, sender: str, recipients: list[str]) -> EmailMessage:
    """The MIME message: multipart/alternative, plain text first, HTML preferred."""
    msg = EmailMessage()
    # A subject that opens with "[" is folded onto a continuation line by the stdlib; "Osiris:" is not.
    msg["Subject"] = "Osiris: " + render.title(notice)
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = format_datetime(notice.requested_at if notice.action == "trigger" else datetime.now(UTC))
    msg["X-Osiris-Dedup-Key"] = notice.dedup_key
    msg["X-Osiris-Severity"] = notice.severity.value
    if notice.action == "trigger":
        msg["Message-ID"] = thread_id(notice)
    else:
        msg["Message-ID"] = make_msgid(domain="escalations.osiris")
        msg["In-Reply-To"] = thread_id(notice)
        msg["References"] = thread_id(notice)
    msg.set_content(render.plain(notice))
    msg.add_alternative(html_body(notice), subtype="html")
    return msg


class EmailChannel(Channel):
    """Sends each notice to the configured recipients through one SMTP server."""

    name = "email"

    def __init__(self, settings: L3Settings):
        self._s = settings
        # One context, made once: verification on, the system CAs plus the configured CA file.
        self._tls = ssl.create_default_context(cafile=str(settings.smtp_ca_file) if settings.smtp_ca_file else None)

    async def send(self, notice: Notice) -> Attempt:
        """One SMTP session: connect, STARTTLS, log in when configured, send, quit."""
        s = self._s
        started = time.perf_counter()
        msg = message(notice, s.smtp_from, s.smtp_to)
        try:
            errors, reply = await aiosmtplib.send(
                msg,
                hostname=s.smtp_host,
                port=s.smtp_port,
                username=s.smtp_username,
                password=s.smtp_password.get_secret_value() if s.smtp_password else None,
                use_tls=s.smtp_security == "tls",
                start_tls=s.smtp_security == "starttls",
                tls_context=self._tls,
                timeout=s.smtp_timeout_s,
            )
        except Exception as exc:  # noqa: BLE001 - translated below, in this one place
            return _failure(exc, (time.perf_counter() - started) * 1000)
        refused = {rcpt: f"{r.code} {r.message}" for rcpt, r in errors.items()}
        return Attempt(self.name, ok=True, status_code=250, response=clip(reply + (f"; refused {refused}" if refused
                                                                                   else "")),
                       latency_ms=(time.perf_counter() - started) * 1000)


def _tls_problem(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 5:  # aiosmtplib wraps the ssl error in its own
        if isinstance(exc, ssl.SSLError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _failure(exc: Exception, latency_ms: float) -> Attempt:
    """An SMTP failure as an attempt: 4xx replies and lost connections are retried, 5xx and TLS are not."""
    code: int | None = None
    retryable = False
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        code = min(codes) if codes else None
        retryable = bool(codes) and all(400 <= c < 500 for c in codes)
    elif isinstance(exc, aiosmtplib.SMTPResponseException):
        code = exc.code
        retryable = 400 <= exc.code < 500
    elif _tls_problem(exc) or isinstance(exc, aiosmtplib.SMTPNotSupported):
        retryable = False  # a certificate or STARTTLS problem will not fix itself in a minute
    elif isinstance(exc, aiosmtplib.SMTPException | OSError | TimeoutError):
        retryable = True  # connection refused, dropped, timed out
    # Messages of these exceptions hold server replies and hosts, never the password.
    detail = str(exc).splitlines()[0][:300] if str(exc) else ""
    return Attempt("email", ok=False, retryable=retryable, status_code=code,
                   error=f"{type(exc).__name__}: {detail}".rstrip(": "), latency_ms=latency_ms)

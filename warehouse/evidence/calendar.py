"""OpenTimestamps calendar client: stamp a digest, later upgrade pending attestations to Bitcoin ones.

The calendar protocol is two calls: `POST {url}/digest` with the raw digest as the body answers a
timestamp tree ending in a pending attestation; `GET {url}/timestamp/<hex commitment>` answers the
tree from that commitment on to a Bitcoin attestation once the calendar has one (404 until then).

Nothing here blocks a pipeline: every request ends within `timeout` seconds in all (an overall
deadline, so a calendar dripping bytes cannot stretch it), nothing retries in a loop, and a calendar
that cannot be reached raises `CalendarUnreachableError` for the caller to record and retry on its
next run. Proof trees are built and serialised with the `opentimestamps` library; every response is
also parsed by our own parser first, so garbage becomes a typed error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import httpx
from opentimestamps.core.notary import BitcoinBlockHeaderAttestation, PendingAttestation
from opentimestamps.core.op import OpAppend, OpSHA256
from opentimestamps.core.serialize import (
    BytesDeserializationContext,
    BytesSerializationContext,
    DeserializationError,
)
from opentimestamps.core.timestamp import DetachedTimestampFile, Timestamp

from warehouse.deadline import RequestDeadline
from warehouse.evidence.errors import (
    CalendarError,
    CalendarResponseError,
    CalendarUnreachableError,
    OtsParseError,
)
from warehouse.evidence.ots import parse_ots, parse_timestamp

MAX_RESPONSE_BYTES = 10_000
"""A calendar answer larger than this is refused (the reference client's limit)."""

_HEADERS = {"Accept": "application/vnd.opentimestamps.v1", "User-Agent": "osiris-evidence"}


@dataclass
class StampResult:
    """A new proof (pending attestations only) and the calendars that failed to take part."""

    ots: bytes
    calendars: list[str]
    failures: list[CalendarError] = field(default_factory=list)


@dataclass
class UpgradeResult:
    """A proof after asking its calendars for Bitcoin attestations."""

    ots: bytes
    changed: bool
    complete: bool
    pending: list[str] = field(default_factory=list)
    failures: list[CalendarError] = field(default_factory=list)


class CalendarClient:
    """Talks to the configured calendars; only those URLs are ever contacted, whatever a proof names.

    `urls` are stamped through; `upgrade_urls` (default: the same) are the calendars whose pending
    attestations may be followed up, since an aggregator can answer with another calendar's URI.
    """

    def __init__(self, urls: Sequence[str], *, upgrade_urls: Sequence[str] | None = None,
                 timeout: float = 10.0, transport: httpx.BaseTransport | None = None):
        if not urls:
            raise ValueError("at least one calendar URL is needed")
        self.urls = [url.rstrip("/") for url in urls]
        self.upgrade_urls = [url.rstrip("/") for url in (upgrade_urls if upgrade_urls is not None else urls)]
        self.timeout = timeout
        # No keep-alive: each request opens its own connection, which its deadline guard watches.
        self._client = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
                                    limits=httpx.Limits(max_keepalive_connections=0),
                                    transport=transport, headers=_HEADERS, follow_redirects=False)

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> CalendarClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def submit(self, url: str, digest: bytes) -> bytes:
        """POST a digest to one calendar; its answer is the serialised timestamp tree for `digest`."""
        body = self._request("POST", url, f"{url.rstrip('/')}/digest", content=digest)
        if body is None:
            raise CalendarResponseError(f"calendar {url} answered 404 to a new digest", url=url)
        self._check_tree(url, body, digest)
        return body

    def fetch(self, url: str, commitment: bytes) -> bytes | None:
        """GET the upgrade for a commitment from one calendar; None while it is still pending (404)."""
        body = self._request("GET", url, f"{url.rstrip('/')}/timestamp/{commitment.hex()}")
        if body is not None:
            self._check_tree(url, body, commitment)
        return body

    def stamp(self, digest: bytes) -> StampResult:
        """A new `.ots` proof of a 32-byte digest (a Merkle root) from every calendar that answers.

        Raises `CalendarUnreachableError` (or `CalendarResponseError`) when no calendar answered.
        """
        if len(digest) != 32:
            raise ValueError("stamp a 32-byte SHA-256 digest")
        detached = DetachedTimestampFile(OpSHA256(), Timestamp(digest))
        # A random nonce keeps the calendars from learning the digest itself, as the reference client does.
        tip = detached.timestamp.ops.add(OpAppend(os.urandom(16))).ops.add(OpSHA256())
        ok: list[str] = []
        failures: list[CalendarError] = []
        for url in self.urls:
            try:
                tip.merge(_deserialize(url, self.submit(url, tip.msg), tip.msg))
                ok.append(url)
            except CalendarError as exc:
                failures.append(exc)
        if not ok:
            first = failures[0]
            raise type(first)(f"no calendar stamped the digest: {'; '.join(map(str, failures))}", url=first.url)
        return StampResult(_serialize(detached), ok, failures)

    def upgrade(self, ots: bytes) -> UpgradeResult:
        """Ask each configured calendar named by a pending attestation whether Bitcoin has it yet."""
        try:
            parse_ots(ots)
            detached = DetachedTimestampFile.deserialize(BytesDeserializationContext(ots))
        except (OtsParseError, DeserializationError) as exc:
            raise ValueError(f"not a valid proof to upgrade: {exc}") from exc
        pending: list[str] = []
        failures: list[CalendarError] = []
        for node, attestation in list(_pending(detached.timestamp)):
            url = attestation.uri.rstrip("/")
            if url not in self.upgrade_urls:
                pending.append(attestation.uri)  # never contact a calendar the operator did not configure
                continue
            try:
                body = self.fetch(url, node.msg)
            except CalendarError as exc:
                failures.append(exc)
                pending.append(attestation.uri)
                continue
            if body is None:
                pending.append(attestation.uri)
            else:
                node.merge(_deserialize(url, body, node.msg))
        new = _serialize(detached)
        complete = any(isinstance(a, BitcoinBlockHeaderAttestation) for _, a in detached.timestamp.all_attestations())
        return UpgradeResult(new, new != ots, complete, pending, failures)

    def _request(self, method: str, url: str, target: str, content: bytes | None = None) -> bytes | None:
        guard = RequestDeadline(self.timeout)
        try:
            with guard, self._client.stream(method, target, content=content,
                                            extensions=guard.extensions) as response:
                if response.status_code == 404:
                    return None
                if response.status_code != 200:
                    raise CalendarResponseError(f"calendar {url} answered HTTP {response.status_code}", url=url)
                body = b""
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise CalendarResponseError(
                            f"calendar {url} answer exceeds {MAX_RESPONSE_BYTES} bytes", url=url)
                return body
        except httpx.TimeoutException as exc:
            raise CalendarUnreachableError(f"calendar {url} timed out", url=url) from exc
        except httpx.HTTPError as exc:  # refused, reset, DNS, TLS: the calendar is not there now
            if guard.expired:
                raise CalendarUnreachableError(f"calendar {url} timed out (no full answer in {self.timeout:g} s)",
                                               url=url) from exc
            raise CalendarUnreachableError(f"calendar {url} unreachable: {type(exc).__name__}", url=url) from exc

    @staticmethod
    def _check_tree(url: str, body: bytes, msg: bytes) -> None:
        try:
            parse_timestamp(body, msg)
        except OtsParseError as exc:
            raise CalendarResponseError(f"calendar {url} answered bytes that are not a timestamp: {exc}",
                                        url=url) from exc


def _deserialize(url: str, body: bytes, msg: bytes) -> Timestamp:
    try:
        return Timestamp.deserialize(BytesDeserializationContext(body), msg)
    except DeserializationError as exc:
        raise CalendarResponseError(f"calendar {url}: timestamp does not deserialise: {exc}", url=url) from exc


def _serialize(detached: DetachedTimestampFile) -> bytes:
    ctx = BytesSerializationContext()
    detached.serialize(ctx)
    return ctx.getbytes()


def _pending(stamp: Timestamp) -> Iterator[tuple[Timestamp, PendingAttestation]]:
    for attestation in list(stamp.attestations):
        if isinstance(attestation, PendingAttestation):
            yield stamp, attestation
    for child in list(stamp.ops.values()):
        yield from _pending(child)

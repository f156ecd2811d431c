"""Fetch NVD CVE API 2.0 pages: from the API (paging, lastMod windows, backoff) or from files.

`ApiSource` and `FileSource` share one interface, `fetch(since) -> iterator of pages` (each page a
dict with a `vulnerabilities` list, as the API returns it), so a pipeline reads either the same way
and hands the pages to `warehouse.feeds.nvd.parse_items`.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx

from warehouse.deadline import RequestDeadline
from warehouse.errors import NvdApiError, NvdParseError, NvdRetriesExhaustedError, NvdShapeError
from warehouse.feeds.nvd import last_modified, read_items

DEFAULT_BASE_URL = "https://services.nvd.nist.gov/rest/json/cves/2.0"
MAX_WINDOW = timedelta(days=120)  # NVD refuses a lastMod range longer than 120 days
RETRY_STATUSES = frozenset({403, 429, 503})  # NVD's rate limiting answers 403 as well as 429


class Source(Protocol):
    """Anything that yields NVD CVE API 2.0 pages modified at or after `since` (all when None)."""

    def fetch(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Yield pages, each a dict with a `vulnerabilities` list."""
        ...


def windows(since: datetime, until: datetime, span: timedelta = MAX_WINDOW) -> list[tuple[datetime, datetime]]:
    """Split [since, until] into consecutive windows no longer than `span` (both ends aware, UTC)."""
    since, until = _aware(since), _aware(until)
    if since > until:
        raise ValueError(f"since ({since.isoformat()}) is after until ({until.isoformat()})")
    out, start = [], since
    while True:
        end = min(start + span, until)
        out.append((start, end))
        if end >= until:
            return out
        start = end


def _aware(stamp: datetime) -> datetime:
    return stamp.astimezone(UTC) if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _nvd_time(stamp: datetime) -> str:
    return _aware(stamp).isoformat(timespec="milliseconds")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (_aware(when) - datetime.now(UTC)).total_seconds())


class NvdClient:
    """A small NVD CVE API 2.0 client: one page at a time, retried with bounded backoff."""

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        api_key: str | None = None,
        results_per_page: int = 2000,
        max_tries: int = 6,
        backoff: float = 2.0,
        max_backoff: float = 120.0,
        page_delay: float | None = None,
        timeout: float = 60.0,
        deadline: float = 300.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        """`timeout` bounds each network operation; `deadline` one whole request, however the API paces it."""
        if not 1 <= results_per_page <= 2000:
            raise ValueError("results_per_page must be between 1 and 2000 (the NVD maximum)")
        if max_tries < 1:
            raise ValueError("max_tries must be at least 1")
        self.results_per_page = results_per_page
        self.max_tries = max_tries
        self.backoff = backoff
        self.max_backoff = max_backoff
        # NVD asks for about 6 s between requests without a key and 0.6 s with one.
        self.page_delay = page_delay if page_delay is not None else (0.6 if api_key else 6.0)
        self._sleep = sleep
        headers = {"apiKey": api_key} if api_key else {}
        self.deadline = deadline
        # No keep-alive: each request opens its own connection, which its deadline guard watches
        # (pages are seconds apart by NVD's own rules, so reuse saves nothing).
        self._http = httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport,
                                  limits=httpx.Limits(max_keepalive_connections=0))

    def __enter__(self) -> NvdClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._http.close()

    def get_page(self, params: dict[str, Any]) -> dict[str, Any]:
        """One API request, retried on 403 / 429 / 503 and transport errors, honouring Retry-After."""
        last = ""
        for attempt in range(1, self.max_tries + 1):
            wait: float | None = None
            guard = RequestDeadline(self.deadline)
            try:
                with guard:
                    response = self._http.get("", params=params, extensions=guard.extensions)
            except httpx.TransportError as exc:
                last = f"no full answer in {self.deadline:g} s" if guard.expired else f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    return _page(response)
                if response.status_code not in RETRY_STATUSES:
                    raise NvdApiError(f"NVD API answered HTTP {response.status_code}: "
                                      f"{response.headers.get('message', '')}".rstrip(": "),
                                      status=response.status_code)
                last = f"HTTP {response.status_code}"
                wait = _retry_after(response.headers.get("Retry-After"))
            if attempt == self.max_tries:
                break
            if wait is None:
                wait = self.backoff * 2 ** (attempt - 1)
            self._sleep(min(wait, self.max_backoff))
        raise NvdRetriesExhaustedError(f"NVD API still failing after {self.max_tries} tries ({last})")

    def iter_pages(self, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every page of one query, advancing `startIndex` until `totalResults` is reached."""
        start, first = 0, True
        while True:
            if not first and self.page_delay > 0:
                self._sleep(self.page_delay)
            first = False
            page = self.get_page({**(params or {}), "resultsPerPage": self.results_per_page,
                                  "startIndex": start})
            yield page
            count = len(page["vulnerabilities"])
            start += count
            # An empty page before the end would otherwise loop forever on a misbehaving server.
            if count == 0 or start >= page["totalResults"]:
                return

    def fetch(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """All pages, or those modified in [since, until] split into windows of at most 120 days."""
        if since is None:
            yield from self.iter_pages()
            return
        for start, end in windows(since, until or datetime.now(UTC)):
            yield from self.iter_pages({"lastModStartDate": _nvd_time(start),
                                        "lastModEndDate": _nvd_time(end)})


def _page(response: httpx.Response) -> dict[str, Any]:
    try:
        page = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NvdParseError(f"NVD API response is not JSON: {exc}") from exc
    except RecursionError:  # nested past the interpreter's stack: no NVD page is
        raise NvdParseError("NVD API response is not JSON: nested too deeply") from None
    if not isinstance(page, dict) or not isinstance(page.get("vulnerabilities"), list):
        raise NvdShapeError("NVD API response has no `vulnerabilities` list")
    if isinstance(page.get("totalResults"), bool) or not isinstance(page.get("totalResults"), int):
        raise NvdShapeError("NVD API response has no integer `totalResults`")
    return page


class ApiSource:
    """The live API as a Source; the client is built per fetch so a source is cheap to configure."""

    def __init__(self, base_url: str = DEFAULT_BASE_URL, *, api_key: str | None = None, **options: Any):
        self.base_url = base_url
        self._api_key = api_key
        self._options = options

    def fetch(self, since: datetime | None = None, until: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Pages from the API, incremental when `since` is given."""
        with NvdClient(self.base_url, api_key=self._api_key, **self._options) as client:
            yield from client.fetch(since, until)


class FileSource:
    """NVD JSON files (responses, items, JSONL, .gz feeds) as a Source: one page per file."""

    def __init__(self, paths: Sequence[str | Path]):
        self.paths = [Path(p) for p in paths]

    def fetch(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Pages of the files' items, keeping those modified at or after `since` like the API would."""
        floor = _aware(since) if since else None
        for path in self.paths:
            items = read_items(path)
            if floor is not None:
                items = [i for i in items if (last_modified(i) or floor) >= floor]
            yield {"resultsPerPage": len(items), "startIndex": 0, "totalResults": len(items),
                   "format": "NVD_CVE", "version": "2.0", "source": str(path), "vulnerabilities": items}

"""The NVD client against a real HTTP server on 127.0.0.1 that pages, rate-limits and fails."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from warehouse.errors import NvdApiError, NvdParseError, NvdRetriesExhaustedError, NvdShapeError
from warehouse.feeds import nvd
from warehouse.feeds.nvd_client import MAX_WINDOW, ApiSource, FileSource, NvdClient, windows

# (status, headers, body) for one request, given the parsed query and the request count so far.
Script = Callable[[dict[str, str], int], tuple[int, dict[str, str], bytes]]


class FakeNvd:
    """A tiny NVD CVE API on a real socket, serving real items from cves.jsonl."""

    def __init__(self, items: list[dict]):
        self.items = items
        self.requests: list[tuple[dict[str, str], dict[str, str]]] = []
        self.script: Script = self.serve

    def serve(self, query: dict[str, str], n: int) -> tuple[int, dict[str, str], bytes]:
        items = self.items
        if "lastModStartDate" in query:
            lo = datetime.fromisoformat(query["lastModStartDate"])
            hi = datetime.fromisoformat(query["lastModEndDate"])
            items = [i for i in items if lo <= nvd.last_modified(i) <= hi]
        start, per = int(query.get("startIndex", 0)), int(query.get("resultsPerPage", 2000))
        page = {"resultsPerPage": per, "startIndex": start, "totalResults": len(items), "format": "NVD_CVE",
                "version": "2.0", "timestamp": "2024-05-10T00:00:00.000", "vulnerabilities": items[start:start + per]}
        return 200, {"Content-Type": "application/json"}, json.dumps(page).encode()


@pytest.fixture(scope="module")
def items(shared_data: Path) -> list[dict]:
    return nvd.read_items(shared_data / "nvd" / "cves.jsonl")[:45]


@pytest.fixture
def server(items: list[dict]) -> Iterator[tuple[str, FakeNvd]]:
    fake = FakeNvd(items)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
            fake.requests.append((query, dict(self.headers)))
            status, headers, body = fake.script(query, len(fake.requests))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/rest/json/cves/2.0", fake
    httpd.shutdown()
    httpd.server_close()


def _client(url: str, sleeps: list[float] | None = None, **kw: object) -> NvdClient:
    record = sleeps.append if sleeps is not None else (lambda s: None)
    return NvdClient(url, page_delay=0, sleep=record, **kw)  # type: ignore[arg-type]


def test_client_pages_until_total_with_api_key_header(server: tuple[str, FakeNvd], items: list[dict]) -> None:
    url, fake = server
    with _client(url, api_key="k-123", results_per_page=20) as client:
        pages = list(client.fetch())
    assert [q["startIndex"] for q, _ in fake.requests] == ["0", "20", "40"]
    assert all(q["resultsPerPage"] == "20" for q, _ in fake.requests)
    assert all(h.get("apiKey") == "k-123" for _, h in fake.requests)
    got = [i for p in pages for i in p["vulnerabilities"]]
    assert got == items


def test_client_without_key_sends_no_api_key_header(server: tuple[str, FakeNvd]) -> None:
    url, fake = server
    with _client(url) as client:
        list(client.fetch())
    assert all("apiKey" not in h for _, h in fake.requests)


def test_client_429_retry_after_honoured_then_200(server: tuple[str, FakeNvd], items: list[dict]) -> None:
    url, fake = server

    def script(query: dict[str, str], n: int) -> tuple[int, dict[str, str], bytes]:
        if n == 1:
            return 429, {"Retry-After": "1"}, b"slow down"
        return fake.serve(query, n)

    fake.script = script
    began = time.monotonic()
    with NvdClient(url, page_delay=0) as client:  # the real sleep: Retry-After is really waited
        pages = list(client.fetch())
    assert time.monotonic() - began >= 1.0
    assert len(fake.requests) == 2
    assert [i for p in pages for i in p["vulnerabilities"]] == items


@pytest.mark.parametrize("status", [403, 503])
def test_client_backoff_without_retry_after_is_exponential(server: tuple[str, FakeNvd], status: int) -> None:
    url, fake = server
    fake.script = lambda q, n: (status, {}, b"") if n <= 3 else fake.serve(q, n)
    sleeps: list[float] = []
    with _client(url, sleeps, backoff=0.5) as client:
        list(client.fetch())
    assert sleeps == [0.5, 1.0, 2.0]


def test_client_retry_after_http_date_and_cap(server: tuple[str, FakeNvd]) -> None:
    url, fake = server
    later = (datetime.now(UTC) + timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fake.script = lambda q, n: (503, {"Retry-After": later}, b"") if n == 1 else fake.serve(q, n)
    sleeps: list[float] = []
    with _client(url, sleeps, max_backoff=30.0) as client:
        list(client.fetch())
    assert sleeps == [30.0]  # an hour asked for, capped at the configured maximum


def test_client_gives_up_after_bounded_tries(server: tuple[str, FakeNvd]) -> None:
    url, fake = server
    fake.script = lambda q, n: (429, {"Retry-After": "0"}, b"")
    with _client(url, [], max_tries=4) as client, pytest.raises(NvdRetriesExhaustedError, match="4 tries"):
        list(client.fetch())
    assert len(fake.requests) == 4


def test_client_other_status_fails_at_once(server: tuple[str, FakeNvd]) -> None:
    url, fake = server
    fake.script = lambda q, n: (404, {"message": "Invalid apiKey"}, b"")
    with _client(url, []) as client, pytest.raises(NvdApiError) as caught:
        list(client.fetch())
    assert caught.value.status == 404 and not isinstance(caught.value, NvdRetriesExhaustedError)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("body", "error"),
    [(b"<html>maintenance</html>", NvdParseError), (b'{"totalResults": 3}', NvdShapeError),
     (b'{"totalResults": "3", "vulnerabilities": []}', NvdShapeError)],
)
def test_client_broken_200_body_raises_typed_error(server: tuple[str, FakeNvd], body: bytes, error: type) -> None:
    url, fake = server
    fake.script = lambda q, n: (200, {"Content-Type": "application/json"}, body)
    with _client(url, []) as client, pytest.raises(error):
        list(client.fetch())


def test_client_stops_on_empty_page_before_total(server: tuple[str, FakeNvd]) -> None:
    url, fake = server
    fake.script = lambda q, n: (200, {}, json.dumps({"totalResults": 10, "vulnerabilities": []}).encode())
    with _client(url, []) as client:
        assert len(list(client.fetch())) == 1
    assert len(fake.requests) == 1


def test_client_connection_refused_retried_then_typed_error() -> None:
    with _client("http://127.0.0.1:9/none", [], max_tries=2) as client, pytest.raises(NvdRetriesExhaustedError):
        list(client.fetch())


def test_client_since_splits_into_120_day_windows(server: tuple[str, FakeNvd], items: list[dict]) -> None:
    url, fake = server
    since, until = datetime(2022, 1, 1, tzinfo=UTC), datetime(2023, 12, 31, tzinfo=UTC)
    with _client(url, [], results_per_page=2000) as client:
        got = [i for p in client.fetch(since, until) for i in p["vulnerabilities"]]
    spans = [(datetime.fromisoformat(q["lastModStartDate"]), datetime.fromisoformat(q["lastModEndDate"]))
             for q, _ in fake.requests]
    assert len(spans) == 7  # 729 days / 120
    assert spans[0][0] == since and spans[-1][1] == until
    assert all(hi - lo <= MAX_WINDOW for lo, hi in spans)
    assert all(a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    expected = [i for i in items if since <= nvd.last_modified(i) <= until]
    assert expected and sorted(i["cve"]["id"] for i in got) == sorted(i["cve"]["id"] for i in expected)


def test_windows_rejects_reversed_range() -> None:
    with pytest.raises(ValueError):
        windows(datetime(2024, 1, 2, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))


def test_file_and_api_sources_same_interface_same_rows(server: tuple[str, FakeNvd], items: list[dict],
                                                       tmp_path: Path) -> None:
    url, _ = server
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in items) + "\n")
    since = datetime(2023, 1, 1, tzinfo=UTC)
    until = datetime.now(UTC)
    api = ApiSource(url, page_delay=0, sleep=lambda s: None)
    from_api = nvd.parse_items(i for p in api.fetch(since, until) for i in p["vulnerabilities"])
    from_file = nvd.parse_items(i for p in FileSource([path]).fetch(since) for i in p["vulnerabilities"])
    assert from_api == from_file
    assert 0 < len(from_file.cves) < len(items)  # the filter really dropped older records

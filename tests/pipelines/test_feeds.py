"""The `feeds` group materialized in-process from the real reference data, and NVD fetched
incrementally from a real HTTP server on 127.0.0.1 speaking the CVE API 2.0."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import duckdb
import pytest
from dagster import AssetSelection

from pipelines.feeds.resources import NvdFeed, ReferenceData
from tests.pipelines.conftest import metadata


def _duck(resources: dict[str, Any]) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(resources["warehouse"].path)


def test_feeds_group_loads_real_reference_data_with_its_exact_counts(resources, run):
    result = run(AssetSelection.groups("feeds"))
    catalog = metadata(result, "oscal_catalog")
    # NIST SP 800-53 rev5 5.0.1: 20 families, 322 controls + 867 enhancements, 182 withdrawn.
    assert (catalog["groups"], catalog["controls"], catalog["enhancements"], catalog["withdrawn"]) == (20, 322, 867, 182)
    assert catalog["dagster/row_count"] == 1189
    baselines = metadata(result, "oscal_baselines")
    assert (baselines["low"], baselines["moderate"], baselines["high"], baselines["privacy"]) == (149, 287, 370, 96)
    crosswalk = metadata(result, "hipaa_crosswalk")
    assert (crosswalk["dagster/row_count"], crosswalk["elements"], crosswalk["controls"]) == (279, 68, 108)
    nvd = metadata(result, "nvd_cves")
    assert (nvd["dagster/row_count"], nvd["fetched_cpe_matches"]) == (1169, 16593)
    with _duck(resources) as con:
        families = dict(con.execute("SELECT group_id, controls FROM feeds.oscal_groups").fetchall())
        heartbleed = con.execute("SELECT cvss_score, kev_added IS NULL FROM feeds.nvd_cves "
                                 "WHERE cve_id = 'CVE-2014-0160'").fetchone()
        kinds = dict(con.execute("SELECT kind, count(*) FROM feeds.oscal_controls GROUP BY kind").fetchall())
    assert (families["ac"], families["sc"], families["pm"]) == (25, 51, 32)
    assert kinds == {"control": 322, "enhancement": 867}
    assert heartbleed[0] == 7.5


def test_nvd_rerun_from_files_keeps_one_row_per_cve(resources, run):
    run(AssetSelection.assets("nvd_cves"))
    again = metadata(run(AssetSelection.assets("nvd_cves")), "nvd_cves")
    # The file source keeps records modified at or after the cursor: only the newest comes back.
    assert again["fetched_records"] < 10
    assert again["dagster/row_count"] == 1169


def test_check_controls_unknown_control_fails_the_asset(resources, run, tmp_path: Path):
    bad = tmp_path / "map.yaml"
    bad.write_text("firewall_status:\n  controls: [sc-7, zz-99]\n")
    reference = ReferenceData(oscal_dir=resources["reference"].oscal_dir, hipaa_dir=resources["reference"].hipaa_dir,
                              check_map=str(bad))
    result = run(AssetSelection.assets("oscal_catalog", "check_controls"), expect_success=False,
                 resources_override={"reference": reference})
    errors = [e.event_specific_data.error.to_string() for e in result.all_events if e.is_step_failure]
    assert len(errors) == 1 and "zz-99" in errors[0] and "FeedShapeError" in errors[0]


# --- a real NVD API 2.0 server on 127.0.0.1 -------------------------------------------------------------


class _Nvd:
    """Serves a set of `{"cve": …}` items like the CVE API 2.0: lastMod window filter and paging."""

    def __init__(self, items: list[dict[str, Any]]):
        self.items = items
        self.requests: list[dict[str, str]] = []

    def page(self, query: dict[str, str]) -> dict[str, Any]:
        self.requests.append(query)
        chosen = self.items
        if "lastModStartDate" in query:
            start = datetime.fromisoformat(query["lastModStartDate"])
            end = datetime.fromisoformat(query["lastModEndDate"])
            chosen = [i for i in chosen if start <= _modified(i) <= end]
        first, size = int(query.get("startIndex", 0)), int(query.get("resultsPerPage", 2000))
        return {"resultsPerPage": size, "startIndex": first, "totalResults": len(chosen), "format": "NVD_CVE",
                "version": "2.0", "timestamp": "2026-11-26T00:00:00.000", "vulnerabilities": chosen[first:first + size]}


def _modified(item: dict[str, Any]) -> datetime:
    # NVD writes UTC without an offset.
    return datetime.fromisoformat(item["cve"]["lastModified"]).replace(tzinfo=UTC)


@pytest.fixture
def nvd_server(shared_data: Path) -> Iterator[tuple[str, _Nvd]]:
    lines = (shared_data / "nvd" / "cves.jsonl").read_text().splitlines()[:25]
    state = _Nvd([json.loads(line) for line in lines])

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
            body = json.dumps(state.page(query)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/rest/json/cves/2.0", state
    finally:
        server.shutdown()
        server.server_close()


def test_nvd_from_api_is_incremental_by_last_modified(resources, run, nvd_server):
    url, state = nvd_server
    api = {"nvd": NvdFeed(api_url=url, results_per_page=10, page_delay=0.0)}
    first = metadata(run(AssetSelection.assets("nvd_cves"), resources_override=api), "nvd_cves")
    assert first["fetched_records"] == 25 and first["pages"] == 3
    assert all("lastModStartDate" not in q for q in state.requests)
    newest = max(_modified(i) for i in state.items)
    assert datetime.fromisoformat(first["cursor_after"]) == newest

    state.requests.clear()
    target = state.items[3]["cve"]
    target["lastModified"] = "2026-11-20T10:00:00.000"
    target["descriptions"] = [{"lang": "en", "value": "Revised by NVD."}]
    second = metadata(run(AssetSelection.assets("nvd_cves"), resources_override=api), "nvd_cves")
    starts = {q["lastModStartDate"] for q in state.requests}
    # The first window starts at the saved cursor; windows never exceed NVD's 120 days.
    assert min(datetime.fromisoformat(s) for s in starts) == newest
    assert second["fetched_records"] >= 1 and second["dagster/row_count"] == 25
    with _duck(resources) as con:
        description = con.execute("SELECT description_en FROM feeds.nvd_cves WHERE cve_id = ?",
                                  [target["id"]]).fetchone()[0]
    assert description == "Revised by NVD."

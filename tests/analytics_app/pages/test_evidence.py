"""Evidence on the fixture marts, and its verify button on the real OpenTimestamps examples."""

from __future__ import annotations

from tests.analytics_app.apptest import metric, table, texts
from tests.analytics_app.fixtures import CHAINS, SITE_A, SITE_B, frame

PAGE = "pages/evidence.py"


def test_evidence_fixture_marts_chain_and_stamps(marts, open_page):
    at = open_page(PAGE)
    assert not at.exception
    assert metric(at, "Bundles chained") == "17"
    assert metric(at, "Broken chains") == "1"
    assert metric(at, "Stamps confirmed") == "1"
    assert metric(at, "Stamps pending") == "2"
    assert metric(at, "Batches not stamped") == "1"
    chains = table(at, "evidence_chains").set_index("site")
    assert chains.loc["Clinic B", "chain"] == "BROKEN"
    stamps = table(at, "evidence_batches")
    assert stamps.loc[stamps["batch_id"] == "batch-1", "block_height"].item() == 358391


def test_evidence_chain_not_checked_yet_is_not_broken(marts, open_page):
    rows = [{**c, "chain_ok": None} if c["site_id"] == SITE_B else c for c in CHAINS]
    frame("evidence_chain", rows).write_parquet(marts / "evidence_chain.parquet")
    at = open_page(PAGE)
    assert metric(at, "Broken chains") == "0"
    assert table(at, "evidence_chains").set_index("site").loc["Clinic B", "chain"] == "not checked yet"


def test_evidence_site_filter_counts_one_site(marts, open_page):
    at = open_page(PAGE, sites=[SITE_A])
    assert metric(at, "Broken chains") == "0"
    assert metric(at, "Stamps pending") == "1"


def _verify(at, target, headers):
    at.text_input(key="evidence_target").set_value(str(target))
    at.text_input(key="evidence_headers").set_value(str(headers))
    at.button(key="evidence_verify").click().run()
    return at


def test_evidence_verify_button_real_proof_verified(home, open_page, shared_data):
    ots = shared_data / "ots"
    at = _verify(open_page(PAGE), ots / "hello-world.txt", ots / "block_headers.json")
    assert not at.exception
    assert texts(at, "success") == ["Verified in Bitcoin block 358391 (2015-05-28T15:41:18Z)."]


def test_evidence_verify_button_bad_stamp_not_verified(home, open_page, shared_data):
    ots = shared_data / "ots"
    at = _verify(open_page(PAGE), ots / "bad-stamp.txt", ots / "block_headers.json")
    assert not at.success
    [error] = texts(at, "error")
    assert error.startswith("Not verified:")


def test_evidence_verify_button_missing_file_says_so(home, open_page, tmp_path):
    at = _verify(open_page(PAGE), tmp_path / "nothing.txt", "")
    assert texts(at, "error") == [f"Not verified: file {tmp_path / 'nothing.txt'} not found"]

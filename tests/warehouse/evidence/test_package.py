"""An auditor's export package end to end: stamped through a local calendar, verified offline, tampered."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nacl.signing
import pytest

from contracts.evidence import ChainedEvidence, chain_entry, sign_bundle
from tests.warehouse.evidence.site import KEYS, Site, build_site
from warehouse.evidence.errors import PackageError
from warehouse.evidence.headers import HeadersFile
from warehouse.evidence.package import BatchRecord, trusted_keyring
from warehouse.evidence.verify import verify_package


@pytest.fixture()
def site(calendar) -> Site:
    """7 bundles: 0-4 in a batch confirmed in a (regtest) block, 5 in a pending batch, 6 not batched."""
    return build_site(calendar)


@pytest.fixture()
def anchored(calendar, tmp_path) -> tuple[Path, dict]:
    """A package whose every bundle is anchored in a confirmed block, and that block's header entry."""
    site = build_site(calendar, confirmed=6, pending=0, unanchored=0)
    return site.write(tmp_path / "pkg"), site.headers


@pytest.fixture()
def good(anchored) -> tuple[Path, HeadersFile]:
    """The anchored package and its headers, checked by regtest rules."""
    pkg, raw = anchored
    return pkg, HeadersFile(raw, network="regtest")


def _statuses(result) -> dict[str, str]:
    return {b.bundle_id: b.status for b in result.bundles}


def _failures(result, bundle_id: str) -> str:
    return " | ".join(next(b for b in result.bundles if b.bundle_id == bundle_id).failures)


def test_verify_package_stamped_upgraded_batch_verifies(site, tmp_path):
    pkg = site.write(tmp_path / "pkg")
    result = verify_package(pkg, HeadersFile(site.headers, network="regtest"))
    (height, entry), = site.headers.items()
    assert _statuses(result) == {**{f"bundle-{n}": "verified" for n in range(5)},
                                 "bundle-5": "pending", "bundle-6": "unanchored"}
    first = result.bundles[0]
    assert (first.height, first.time, first.batch_id) == (int(height), entry["time"], "batch-1")
    assert not result.verified and result.failures == []
    assert "upgrade the proof later" in result.bundles[5].detail


def test_verify_package_all_anchored_verified(good):
    pkg, headers = good
    result = verify_package(pkg, headers)
    assert result.verified, result.to_dict()
    assert result.to_dict()["counts"] == {"verified": 6}


def test_verify_package_mainnet_rules_refuse_regtest_header(anchored):
    pkg, raw = anchored
    result = verify_package(pkg, HeadersFile(raw))
    assert not result.verified
    assert "easier than mainnet's minimum difficulty" in _failures(result, "bundle-0")


def test_verify_package_no_headers_missing_header(good):
    pkg, _ = good
    result = verify_package(pkg, None)
    assert set(_statuses(result).values()) == {"missing-header"}


def test_verify_package_flipped_header_byte_fails(anchored):
    pkg, raw = anchored
    (entry,) = raw.values()
    header = bytearray.fromhex(entry["header_hex"])
    header[40] ^= 1
    entry = dict(entry, header_hex=header.hex())
    result = verify_package(pkg, HeadersFile({k: entry for k in raw}, network="regtest"))
    assert "untrusted header" in _failures(result, "bundle-3")


def test_verify_package_deleted_bundle_file_named(good):
    pkg, headers = good
    (pkg / "bundles/00000002.json").unlink()
    result = verify_package(pkg, headers)
    assert "bundles/00000002.json is missing" in _failures(result, "bundle-2")
    assert "seq 2 missing between bundle bundle-1" in _failures(result, "bundle-3")
    assert _statuses(result)["bundle-4"] == "verified"


def test_verify_package_deleted_bundle_and_manifest_entry_named(good):
    pkg, headers = good
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["bundles"] = [b for b in manifest["bundles"] if b["bundle_id"] != "bundle-2"]
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    (pkg / "bundles/00000002.json").unlink()
    result = verify_package(pkg, headers)
    assert [b.bundle_id for b in result.bundles if b.status == "failed"] == ["bundle-3"]
    assert "chain: seq 2 missing" in _failures(result, "bundle-3")


def test_verify_package_dropped_last_bundle_caught_by_head(good):
    pkg, headers = good
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["bundles"] = manifest["bundles"][:-1]
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    result = verify_package(pkg, headers)
    assert not result.verified and "missing from the end" in result.failures[0]


def test_verify_package_altered_bundle_named(good):
    pkg, headers = good
    path = pkg / "bundles/00000003.json"
    doc = json.loads(path.read_text())
    doc["signed"]["bundle"]["result"] = "pass" if doc["signed"]["bundle"]["result"] == "fail" else "fail"
    path.write_text(json.dumps(doc))
    result = verify_package(pkg, headers)
    failures = _failures(result, "bundle-3")
    assert "signature does not verify" in failures and "bundle-3 (seq 3) was altered" in failures
    assert [b.bundle_id for b in result.bundles if b.status == "failed"] == ["bundle-3"]


def test_verify_package_resigned_and_rechained_bundle_caught(good):
    # Someone with a key of their own rewrites bundle 3 and recomputes its chain hash.
    pkg, headers = good
    path = pkg / "bundles/00000003.json"
    entry = ChainedEvidence.model_validate_json(path.read_text())
    forger = nacl.signing.SigningKey(bytes([9]) * 32)
    bundle = entry.signed.bundle.model_copy(update={"result": "tampered"})
    forged = chain_entry(sign_bundle(bundle, forger), 3, entry.prev_hash)
    path.write_text(forged.model_dump_json())
    result = verify_package(pkg, headers)
    assert "does not vouch for" in _failures(result, "bundle-3")
    assert "merkle:" in _failures(result, "bundle-3")
    assert "prev_hash does not match the hash of bundle bundle-3" in _failures(result, "bundle-4")


def test_verify_package_foreign_bundle_in_file_named(good, calendar, tmp_path):
    pkg, headers = good
    other = build_site(calendar, confirmed=3, pending=0, unanchored=0)
    foreign = other.entries[2].model_copy(update={"signed": other.entries[2].signed.model_copy(
        update={"bundle": other.entries[2].signed.bundle.model_copy(update={"bundle_id": "intruder"})})})
    (pkg / "bundles/00000002.json").write_text(foreign.model_dump_json())
    result = verify_package(pkg, headers)
    assert "holds bundle intruder seq 2, not as listed" in _failures(result, "bundle-2")
    assert any("intruder" in f for f in result.failures)
    assert not result.verified


def test_verify_package_flipped_merkle_sibling_fails(good):
    pkg, headers = good
    path = pkg / "paths/00000001.json"
    doc = json.loads(path.read_text())
    doc["path"][0]["hash"] = ("0" if doc["path"][0]["hash"][0] != "0" else "1") + doc["path"][0]["hash"][1:]
    path.write_text(json.dumps(doc))
    result = verify_package(pkg, headers)
    assert "merkle: Merkle path leads to" in _failures(result, "bundle-1")
    assert [b.bundle_id for b in result.bundles if b.status == "failed"] == ["bundle-1"]


def test_verify_package_flipped_proof_byte_fails(good):
    pkg, headers = good
    path = pkg / "proofs/batch-0000.ots"
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x01
    path.write_bytes(bytes(data))
    result = verify_package(pkg, headers)
    assert not result.verified
    assert all(b.status != "verified" for b in result.bundles)


def test_verify_package_swapped_key_file_fails(good):
    pkg, headers = good
    key_file = next((pkg / "keys").iterdir())
    doc = json.loads(key_file.read_text())
    doc["public_key"] = base64.b64encode(bytes(KEYS["app-1"].verify_key)[::-1]).decode()
    key_file.write_text(json.dumps(doc))
    result = verify_package(pkg, headers)
    assert any("not" in f and "as the manifest says" in f for f in result.failures)
    assert any("does not vouch" in " ".join(b.failures) for b in result.bundles)


def test_verify_package_trusted_keys_override(good):
    pkg, headers = good
    other = nacl.signing.SigningKey(bytes([7]) * 32)
    ring = trusted_keyring({"app-1": base64.b64encode(bytes(other.verify_key)).decode()})
    result = verify_package(pkg, headers, trusted_keys=ring)
    assert all(b.status == "failed" for b in result.bundles)


def test_verify_package_since_needs_the_anchor(site, tmp_path, calendar):
    headers = HeadersFile(site.headers, network="regtest")
    tail = site.write(tmp_path / "tail", entries=site.entries[2:5], prev_hash=site.entries[1].hash)
    assert verify_package(tail, headers).verified
    unanchored = site.write(tmp_path / "bad", entries=site.entries[2:5])
    assert "does not continue from the expected hash" in _failures(verify_package(unanchored, headers), "bundle-2")


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "bundles/../../x.json"])
def test_verify_package_manifest_outside_files_refused(good, name):
    pkg, headers = good
    manifest = json.loads((pkg / "manifest.json").read_text())
    manifest["bundles"][0]["file"] = name
    (pkg / "manifest.json").write_text(json.dumps(manifest))
    result = verify_package(pkg, headers)
    assert result.bundles == [] and "outside the package" in result.failures[0]


@pytest.mark.parametrize("content", [None, "not json", '{"format": "zip"}', '{"format": "osiris-evidence-package", '
                                     '"version": 9, "site_id": "s", "created_at": "", "prev_hash": "", '
                                     '"bundles": [], "batches": [], "keys": []}'])
def test_verify_package_bad_manifest_typed(tmp_path, content):
    if content is not None:
        (tmp_path / "manifest.json").write_text(content)
    result = verify_package(tmp_path, None)
    assert not result.verified and result.failures


def test_verify_package_garbage_bundle_file_fails(good):
    pkg, headers = good
    (pkg / "bundles/00000000.json").write_text('{"signed": 1}')
    result = verify_package(pkg, headers)
    assert "not a chained evidence bundle" in _failures(result, "bundle-0")


def test_write_package_refuses_nonempty_dir(site, tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "other").write_text("x")
    with pytest.raises(PackageError, match="not empty"):
        site.write(tmp_path / "pkg")


def test_write_package_refuses_proof_of_other_root(site, tmp_path):
    wrong = site.batches[0].model_copy(update={"ots": site.batches[1].ots})
    with pytest.raises(PackageError, match="does not stamp"):
        Site(site.entries, [wrong], site.headers).write(tmp_path / "pkg")


def test_write_package_refuses_leaf_mismatch(site, tmp_path):
    batch = site.batches[1]
    wrong = BatchRecord(batch_id="b", leaves=["00" * 32], bundle_ids=batch.bundle_ids)
    with pytest.raises(PackageError, match="holds another hash"):
        Site(site.entries, [wrong], site.headers).write(tmp_path / "pkg")


def test_write_package_layout(site, tmp_path):
    pkg = site.write(tmp_path / "pkg")
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["format"] == "osiris-evidence-package" and manifest["head_hash"] == site.entries[-1].hash
    assert sorted(p.name for p in (pkg / "proofs").iterdir()) == ["batch-0000.ots", "batch-0001.ots"]
    assert len(list((pkg / "keys").iterdir())) == 2 and len(list((pkg / "paths").iterdir())) == 6

"""Every input the fuzzers found crashing a parser, kept as a vector: each now gives the typed error.

Vectors live in `tests/vectors/fuzz/`, named `<parser>_<what it proves>.<ext>`; the prefix picks the
parser and the error class it must raise. A vector whose prefix no parser claims fails the test, so
none is silently skipped.
"""

from __future__ import annotations

import json
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import nacl.signing
import pytest

from contracts.envelope import Keyring, verify_envelope
from contracts.errors import EnvelopeError, EvidenceError, RuleSetError
from contracts.evidence import GENESIS_HASH, ChainedEvidence, parse_signed, verify_chain, verify_signed
from contracts.orders import ORDER_PAYLOAD_TYPE
from contracts.rules import load_rules
from contracts.telemetry import TelemetryBatch
from serving.errors import ServingError
from serving.services.auth import ApplianceIdentity
from serving.services.telemetry import normalise
from warehouse.errors import FeedError
from warehouse.evidence.errors import EvidenceVerifyError
from warehouse.evidence.headers import HeadersFile
from warehouse.feeds.nvd import parse_items, read_items
from warehouse.feeds.nvd_client import _page as nvd_api_page
from warehouse.feeds.oscal import load_catalog, resolve_profile

VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "fuzz"
# A fixed key: vectors that must get past the key-id check name its id (evidence_key_id of it).
KEY = nacl.signing.SigningKey(b"osiris fuzz regression vectors!!")
RING = Keyring.of(KEY.verify_key)

# Telemetry vectors go through what the route does before the database: JSON decoding (as the
# framework does it), the batch model, then the service layer's normalisation.
_APPLIANCE = ApplianceIdentity(id=uuid.UUID(int=1), site_id=uuid.UUID("0b8f0f2a-0000-4000-8000-00000000000a"))


def _telemetry(data: bytes) -> object:
    return normalise(_APPLIANCE, TelemetryBatch.model_validate(json.loads(data)).events)


# The catalog a profile vector imports (its back-matter names this file beside the profile).
_PROFILE_CATALOG = {"catalog": {"uuid": "c", "metadata": {"title": "c"}, "groups": [
    {"id": "ac", "controls": [{"id": "ac-1"}, {"id": "ac-2", "controls": [{"id": "ac-2.1"}]}]}]}}


def _from_file(parse: Callable[[Path], object]) -> Callable[[bytes], object]:
    """A path-taking parser fed the vector's bytes from a file (beside the catalog profiles import)."""

    def run(data: bytes) -> object:
        with tempfile.TemporaryDirectory(prefix="osiris-vector-") as name:
            folder = Path(name)
            (folder / "oscalprofile_catalog.json").write_text(json.dumps(_PROFILE_CATALOG))
            (folder / "vector.json").write_bytes(data)
            return parse(folder / "vector.json")

    return run


# prefix -> (parse the vector's bytes, the error class it must raise)
PARSERS: dict[str, tuple[Callable[[bytes], object], type[Exception]]] = {
    "envelope": (lambda data: verify_envelope(data, RING, ORDER_PAYLOAD_TYPE), EnvelopeError),
    "rules": (load_rules, RuleSetError),
    "nvd": (lambda data: parse_items(read_items(data, name="vector")), FeedError),
    "nvdapi": (lambda data: nvd_api_page(httpx.Response(200, content=data)), FeedError),
    "headers": (_from_file(HeadersFile.load), EvidenceVerifyError),
    "oscalcatalog": (_from_file(load_catalog), FeedError),
    "oscalprofile": (_from_file(resolve_profile), FeedError),
    "telemetry": (_telemetry, ServingError),
    # decoded first, as Central Command receives it inside a telemetry event
    "evidence": (lambda data: verify_signed(parse_signed(json.loads(data)), KEY.verify_key), EvidenceError),
}


def _vectors() -> list[Path]:
    return sorted(p for p in VECTORS.iterdir() if p.is_file())


@pytest.mark.parametrize("vector", _vectors(), ids=lambda p: p.name)
def test_fuzz_vector_typed_error(vector: Path):
    prefix = next((name for name in PARSERS if vector.name.startswith(name + "_")), None)
    assert prefix is not None, f"no parser claims {vector.name}; add its prefix to PARSERS"
    parse, error = PARSERS[prefix]
    with pytest.raises(error):
        parse(vector.read_bytes())


@pytest.mark.parametrize("name", ["evidence_unpaired_surrogate_in_facts.json",
                                  "evidence_facts_nested_past_the_serialiser_limit.json"])
def test_verify_chain_unhashable_bundle_is_a_break(name: str):
    # verify_chain returns breaks and never raises: an auditor's package holding such a bundle is
    # reported bundle by bundle instead of stopping `osiris evidence verify` with a traceback.
    signed = json.loads((VECTORS / name).read_bytes())
    entry = ChainedEvidence.model_validate({"signed": signed, "seq": 0, "prev_hash": GENESIS_HASH, "hash": "0" * 64})
    breaks = verify_chain([entry])
    assert [b.kind for b in breaks] == ["altered"] and "cannot be hashed" in breaks[0].detail

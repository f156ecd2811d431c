"""The auditor's export package: writing it from rows, and verifying it offline.

A package is a directory:

    manifest.json           format, site, the hash the first bundle continues from, the head hash,
                            and the list of every file below
    bundles/NNNNNNNN.json   one chained, signed bundle per file (seq-numbered)
    paths/NNNNNNNN.json     the bundle's Merkle path to its batch root (absent until batched)
    proofs/batch-NNNN.ots   the OpenTimestamps proof of each batch's Merkle root (its file digest)
    keys/<key id>.json      the appliances' Ed25519 public keys

Nothing here touches Postgres: the integrator hands `write_package` the rows. File names never come
from ids, and a manifest may only name files inside the package, so a crafted package cannot make the
verifier read elsewhere.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nacl.exceptions
import nacl.signing
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.evidence import (
    GENESIS_HASH,
    ChainedEvidence,
    MerkleStep,
    evidence_key_id,
    merkle_path,
    merkle_root,
)
from warehouse.evidence.errors import PackageError
from warehouse.evidence.ots import parse_ots

FORMAT = "osiris-evidence-package"
VERSION = 1
_SAFE_NAME = re.compile(r"^(bundles|paths|proofs|keys)/[A-Za-z0-9._-]{1,80}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BatchRecord(_Model):
    """One Merkle batch as stored: every leaf (chain hash) in order, its bundle ids, and its proof if any."""

    batch_id: str = Field(min_length=1)
    leaves: list[str] = Field(min_length=1)
    bundle_ids: list[str] = Field(min_length=1)
    ots: bytes | None = None


class ApplianceKey(_Model):
    """An appliance's evidence public key as registered at provisioning."""

    appliance_id: str
    public_key: bytes = Field(min_length=32, max_length=32)

    @property
    def key_id(self) -> str:
        """The key's id (as in every signed bundle it made)."""
        return evidence_key_id(nacl.signing.VerifyKey(self.public_key))


class ManifestBundle(_Model):
    """A bundle's entry in the manifest."""

    bundle_id: str
    seq: int
    file: str
    path_file: str | None = None
    batch_id: str | None = None


class ManifestBatch(_Model):
    """A batch's entry in the manifest."""

    batch_id: str
    root: str
    leaf_count: int
    ots_file: str | None = None


class ManifestKey(_Model):
    """A key's entry in the manifest."""

    key_id: str
    appliance_id: str
    file: str


class Manifest(_Model):
    """`manifest.json`."""

    format: str
    version: int
    site_id: str
    created_at: str
    since: str | None = None
    prev_hash: str
    head_hash: str | None = None
    bundles: list[ManifestBundle]
    batches: list[ManifestBatch]
    keys: list[ManifestKey]


class PathFile(_Model):
    """`paths/NNNNNNNN.json`: how one bundle's chain hash reaches its batch root."""

    bundle_id: str
    batch_id: str
    leaf_index: int
    leaf: str
    root: str
    path: list[MerkleStep]


def write_package(out_dir: str | Path, *, site_id: str, entries: Sequence[ChainedEvidence],
                  batches: Sequence[BatchRecord], keys: Sequence[ApplianceKey],
                  since: datetime | None = None, prev_hash: str | None = None) -> Path:
    """Write a package of `entries` (sorted by seq) and return the manifest path.

    `prev_hash` is the hash of the site's entry before the first one exported (genesis by default);
    `batches` must hold every batch any entry is in, with all of its leaves, so paths can be built.
    """
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise PackageError(f"{out} is not empty; refusing to mix two packages")
    for sub in ("bundles", "paths", "proofs", "keys"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    entries = sorted(entries, key=lambda e: e.seq)
    where: dict[str, tuple[BatchRecord, int]] = {}
    batch_rows: list[ManifestBatch] = []
    for number, batch in enumerate(batches):
        if len(batch.leaves) != len(batch.bundle_ids):
            raise PackageError(f"batch {batch.batch_id}: {len(batch.leaves)} leaves but {len(batch.bundle_ids)} ids")
        root = merkle_root([bytes.fromhex(leaf) for leaf in batch.leaves])
        ots_file = None
        if batch.ots is not None:
            if parse_ots(batch.ots).file_digest != root:
                raise PackageError(f"batch {batch.batch_id}: its proof does not stamp the batch's Merkle root")
            ots_file = f"proofs/batch-{number:04d}.ots"
            (out / ots_file).write_bytes(batch.ots)
        batch_rows.append(ManifestBatch(batch_id=batch.batch_id, root=root.hex(), leaf_count=len(batch.leaves),
                                        ots_file=ots_file))
        for index, bundle_id in enumerate(batch.bundle_ids):
            where[bundle_id] = (batch, index)
    bundle_rows: list[ManifestBundle] = []
    for entry in entries:
        name = f"{entry.seq:08d}.json"
        _write_json(out / "bundles" / name, entry.model_dump(mode="json"))
        path_file = batch_id = None
        if entry.bundle_id in where:
            batch, index = where[entry.bundle_id]
            if batch.leaves[index] != entry.hash:
                raise PackageError(f"bundle {entry.bundle_id}: batch {batch.batch_id} holds another hash for it")
            leaves = [bytes.fromhex(leaf) for leaf in batch.leaves]
            doc = PathFile(bundle_id=entry.bundle_id, batch_id=batch.batch_id, leaf_index=index, leaf=entry.hash,
                           root=merkle_root(leaves).hex(), path=merkle_path(leaves, index))
            path_file, batch_id = f"paths/{name}", batch.batch_id
            _write_json(out / path_file, doc.model_dump(mode="json"))
        bundle_rows.append(ManifestBundle(bundle_id=entry.bundle_id, seq=entry.seq, file=f"bundles/{name}",
                                          path_file=path_file, batch_id=batch_id))
    key_rows = []
    for key in keys:
        file = f"keys/{key.key_id}.json"
        _write_json(out / file, {"appliance_id": key.appliance_id, "key_id": key.key_id,
                                 "public_key": base64.b64encode(key.public_key).decode("ascii")})
        key_rows.append(ManifestKey(key_id=key.key_id, appliance_id=key.appliance_id, file=file))
    manifest = Manifest(format=FORMAT, version=VERSION, site_id=site_id,
                        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        since=since.isoformat() if since else None, prev_hash=prev_hash or GENESIS_HASH,
                        head_hash=entries[-1].hash if entries else None, bundles=bundle_rows,
                        batches=batch_rows, keys=key_rows)
    _write_json(out / "manifest.json", manifest.model_dump(mode="json"))
    return out / "manifest.json"


def read_manifest(pkg: Path) -> Manifest:
    """The package's manifest, refusing unknown formats and file names outside the package."""
    doc = read_json(pkg, "manifest.json")
    try:
        manifest = Manifest.model_validate(doc)
    except ValidationError as exc:
        raise PackageError(f"manifest.json does not fit the package format: {exc.errors()[0]['msg']}") from exc
    if manifest.format != FORMAT or manifest.version != VERSION:
        raise PackageError(f"not an {FORMAT} v{VERSION} package ({manifest.format} v{manifest.version})")
    names = [b.file for b in manifest.bundles] + [b.path_file for b in manifest.bundles if b.path_file] \
        + [b.ots_file for b in manifest.batches if b.ots_file] + [k.file for k in manifest.keys]
    for name in names:
        if not _SAFE_NAME.match(name):
            raise PackageError(f"manifest names a file outside the package layout: {name!r}")
    return manifest


def read_json(pkg: Path, name: str) -> Any:
    """One JSON file of the package; missing or broken files are `PackageError`s naming the file."""
    try:
        return json.loads((pkg / name).read_bytes())
    except FileNotFoundError as exc:
        raise PackageError(f"{name} is missing from the package") from exc
    except OSError as exc:
        raise PackageError(f"cannot read {name}: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise PackageError(f"{name} is not valid JSON") from exc


def read_bytes(pkg: Path, name: str) -> bytes:
    """One binary file of the package."""
    try:
        return (pkg / name).read_bytes()
    except FileNotFoundError as exc:
        raise PackageError(f"{name} is missing from the package") from exc
    except OSError as exc:
        raise PackageError(f"cannot read {name}: {exc.strerror or exc}") from exc


def load_keys(pkg: Path, manifest: Manifest) -> tuple[dict[str, tuple[str, nacl.signing.VerifyKey]], list[str]]:
    """The package's keyring {key id: (appliance id, key)} and the problems found loading it."""
    keyring: dict[str, tuple[str, nacl.signing.VerifyKey]] = {}
    problems: list[str] = []
    for row in manifest.keys:
        try:
            doc = read_json(pkg, row.file)
            raw = base64.b64decode(doc["public_key"], validate=True)
            key = nacl.signing.VerifyKey(raw)
        except PackageError as exc:
            problems.append(str(exc))
            continue
        except (KeyError, TypeError, ValueError, nacl.exceptions.CryptoError):
            problems.append(f"{row.file} does not hold a 32-byte Ed25519 public key")
            continue
        if evidence_key_id(key) != row.key_id:
            problems.append(f"{row.file} holds key {evidence_key_id(key)}, not {row.key_id} as the manifest says")
            continue
        keyring[row.key_id] = (row.appliance_id, key)
    return keyring, problems


def trusted_keyring(keys: Mapping[str, str]) -> dict[str, tuple[str, nacl.signing.VerifyKey]]:
    """A keyring from {appliance id: base64 public key} the auditor obtained independently."""
    ring = {}
    for appliance_id, b64 in keys.items():
        key = nacl.signing.VerifyKey(base64.b64decode(b64))
        ring[evidence_key_id(key)] = (appliance_id, key)
    return ring


def _write_json(path: Path, doc: Any) -> None:
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")

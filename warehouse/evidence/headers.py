"""Bitcoin block headers for offline verification, trusted by proof of work and never by provenance.

A header source answers "the 80-byte header at height h". Every header is checked before use: its
double SHA-256 must be the block hash it claims, that hash must be at or under the target its own
`nBits` encode, and that target must be no easier than the network's minimum difficulty (so a header
"mined" at regtest difficulty in a second fails on mainnet). The height itself cannot be proven from a
lone header; an auditor who needs that assurance uses headers from their own node (`BitcoindHeaders`).
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import httpx

from warehouse.evidence.errors import (
    BadHeaderError,
    HeadersFileError,
    HeaderSourceError,
    MissingHeaderError,
)

NETWORK_MIN_DIFFICULTY_BITS = {"mainnet": 0x1D00FFFF, "testnet": 0x1D00FFFF, "regtest": 0x207FFFFF}
"""The easiest `nBits` each network accepts (its proof-of-work limit)."""


def dsha256(data: bytes) -> bytes:
    """Bitcoin's double SHA-256."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def bits_to_target(bits: int) -> int:
    """The target a compact `nBits` encodes; negative, zero or overflowing encodings are refused."""
    exponent, mantissa = bits >> 24, bits & 0x007FFFFF
    if bits & 0x00800000 and mantissa:
        raise BadHeaderError(f"nBits {bits:08x} encodes a negative target")
    target = mantissa >> 8 * (3 - exponent) if exponent <= 3 else mantissa << 8 * (exponent - 3)
    if target == 0:
        raise BadHeaderError(f"nBits {bits:08x} encodes a zero target")
    if target >= 1 << 256:
        raise BadHeaderError(f"nBits {bits:08x} encodes a target over 256 bits")
    return target


@dataclass(frozen=True)
class BlockHeader:
    """An 80-byte header at a height, with its fields decoded (hashes in display order unless noted)."""

    height: int
    raw: bytes

    @property
    def version(self) -> int:
        """nVersion."""
        return struct.unpack_from("<i", self.raw, 0)[0]

    @property
    def prev_hash(self) -> str:
        """The previous block's hash (display order)."""
        return self.raw[4:36][::-1].hex()

    @property
    def merkle_root(self) -> bytes:
        """hashMerkleRoot in header (internal) byte order: what an OTS commitment must equal."""
        return self.raw[36:68]

    @property
    def time(self) -> int:
        """nTime, unix seconds (UTC)."""
        return struct.unpack_from("<I", self.raw, 68)[0]

    @property
    def bits(self) -> int:
        """nBits, the compact proof-of-work target."""
        return struct.unpack_from("<I", self.raw, 72)[0]

    @property
    def nonce(self) -> int:
        """nNonce."""
        return struct.unpack_from("<I", self.raw, 76)[0]

    @property
    def block_hash(self) -> str:
        """dSHA256 of the header in display order."""
        return dsha256(self.raw)[::-1].hex()

    @property
    def time_iso(self) -> str:
        """nTime as ISO 8601 UTC."""
        return datetime.fromtimestamp(self.time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_header(raw: bytes, height: int, claimed_hash: str, *, network: str = "mainnet") -> BlockHeader:
    """A `BlockHeader` once `raw` hashes to `claimed_hash` and carries the work its nBits demand."""
    if len(raw) != 80:
        raise BadHeaderError(f"header at height {height} is {len(raw)} bytes, not 80")
    header = BlockHeader(height, raw)
    if header.block_hash != claimed_hash.lower():
        raise BadHeaderError(f"header at height {height} hashes to {header.block_hash}, "
                             f"not to the block hash it claims ({claimed_hash})")
    target = bits_to_target(header.bits)
    if network not in NETWORK_MIN_DIFFICULTY_BITS:
        raise HeaderSourceError(f"unknown network {network!r}")
    limit = bits_to_target(NETWORK_MIN_DIFFICULTY_BITS[network])
    if target > limit:
        raise BadHeaderError(f"header at height {height}: nBits {header.bits:08x} is easier than {network}'s "
                             "minimum difficulty (a header anyone could fabricate)")
    if int(header.block_hash, 16) > target:
        raise BadHeaderError(f"header at height {height}: block hash is above the target its nBits "
                             f"{header.bits:08x} encode (no proof of work)")
    return header


class HeaderSource(Protocol):
    """Where verification gets block headers from."""

    description: str

    def header(self, height: int) -> BlockHeader:
        """The checked header at `height`; raises `MissingHeaderError` or `BadHeaderError`."""
        ...


class HeadersFile:
    """Headers from JSON `{height: {hash, header_hex, merkleroot, ...}}`, each checked on first use."""

    def __init__(self, entries: Mapping[str, Any], *, name: str = "headers", network: str = "mainnet"):
        self.description = name
        self.network = network
        self._entries: dict[int, Any] = {}
        for key, value in entries.items():
            if key.startswith("_"):  # comments such as "_source"
                continue
            try:
                height = int(key)
            except ValueError as exc:
                raise HeadersFileError(f"{name}: key {key!r} is not a block height") from exc
            self._entries[height] = value
        self._checked: dict[int, BlockHeader] = {}

    @classmethod
    def load(cls, path: str | Path, *, network: str = "mainnet") -> HeadersFile:
        """Read a headers JSON file."""
        path = Path(path)
        try:
            doc = json.loads(path.read_bytes())
        except OSError as exc:
            raise HeadersFileError(f"cannot read headers file {path}: {exc.strerror or exc}") from exc
        except (ValueError, UnicodeDecodeError) as exc:
            raise HeadersFileError(f"headers file {path} is not valid JSON: {exc}") from exc
        except RecursionError:  # nested past the interpreter's stack: no headers file is
            raise HeadersFileError(f"headers file {path} is not valid JSON: nested too deeply") from None
        if not isinstance(doc, dict):
            raise HeadersFileError(f"headers file {path} is not a JSON object of height -> header")
        return cls(doc, name=path.name, network=network)

    def heights(self) -> list[int]:
        """The heights the file offers (checked or not)."""
        return sorted(self._entries)

    def header(self, height: int) -> BlockHeader:
        """The checked header at `height`."""
        if height in self._checked:
            return self._checked[height]
        if height not in self._entries:
            raise MissingHeaderError(f"no block header for height {height} in {self.description}", height=height)
        header = _check_entry(height, self._entries[height], self.network)
        self._checked[height] = header
        return header


def _check_entry(height: int, entry: Any, network: str) -> BlockHeader:
    if not isinstance(entry, dict) or not isinstance(entry.get("header_hex"), str) \
            or not isinstance(entry.get("hash"), str):
        raise BadHeaderError(f"header at height {height} lacks header_hex or hash")
    try:
        raw = bytes.fromhex(entry["header_hex"])
    except ValueError as exc:
        raise BadHeaderError(f"header at height {height}: header_hex is not hex") from exc
    header = check_header(raw, height, entry["hash"], network=network)
    # The other fields are claims about the same header: any that disagree mean a doctored file.
    claims = {
        "merkleroot": (header.merkle_root[::-1].hex(), str),
        "merkleroot_internal": (header.merkle_root.hex(), str),
        "time": (header.time, int),
        "bits": (f"{header.bits:08x}", str),
        "nonce": (header.nonce, int),
        "version": (header.version, int),
        "previousblockhash": (header.prev_hash, str),
    }
    for field_name, (actual, kind) in claims.items():
        if field_name in entry:
            claimed = entry[field_name]
            if not isinstance(claimed, kind) or (claimed.lower() if kind is str else claimed) != actual:
                raise BadHeaderError(f"header at height {height}: field {field_name} ({claimed}) does not match "
                                     f"the 80-byte header ({actual})")
    return header


class BitcoindHeaders:
    """Headers from a bitcoind JSON-RPC endpoint (`getblockhash`, `getblockheader <hash> false`)."""

    def __init__(self, url: str, *, network: str = "mainnet", timeout: float = 10.0,
                 transport: httpx.BaseTransport | None = None):
        parts = urlsplit(url)
        # Credentials ride in the URL for convenience but never appear in messages.
        self._auth = (parts.username or "", parts.password or "") if parts.username else None
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        self._url = urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))
        self.description = f"bitcoind at {self._url}"
        self.network = network
        self._client = httpx.Client(timeout=timeout, transport=transport, auth=self._auth)
        self._checked: dict[int, BlockHeader] = {}

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def header(self, height: int) -> BlockHeader:
        """The checked header at `height`, asked of the node."""
        if height not in self._checked:
            block_hash = self._call("getblockhash", [height], height)
            raw_hex = self._call("getblockheader", [block_hash, False], height)
            if not isinstance(block_hash, str) or not isinstance(raw_hex, str):
                raise HeaderSourceError(f"{self.description}: unexpected answer for height {height}")
            try:
                raw = bytes.fromhex(raw_hex)
            except ValueError as exc:
                raise BadHeaderError(f"{self.description}: header at height {height} is not hex") from exc
            self._checked[height] = check_header(raw, height, block_hash, network=self.network)
        return self._checked[height]

    def _call(self, method: str, params: list[Any], height: int) -> Any:
        body = {"jsonrpc": "1.0", "id": "osiris", "method": method, "params": params}
        try:
            response = self._client.post(self._url, json=body)
        except httpx.HTTPError as exc:
            raise HeaderSourceError(f"{self.description} unreachable: {type(exc).__name__}") from exc
        try:
            doc = response.json()
        except ValueError as exc:
            raise HeaderSourceError(f"{self.description}: HTTP {response.status_code}, not JSON-RPC") from exc
        error = doc.get("error") if isinstance(doc, dict) else None
        if error:
            if isinstance(error, dict) and error.get("code") in (-8, -5):  # height out of range / not found
                raise MissingHeaderError(f"{self.description} has no block at height {height}", height=height)
            raise HeaderSourceError(f"{self.description}: {method} failed: {error}")
        if not isinstance(doc, dict) or "result" not in doc:
            raise HeaderSourceError(f"{self.description}: {method} answer has no result")
        return doc["result"]

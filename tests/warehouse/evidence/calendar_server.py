"""A real OpenTimestamps calendar on 127.0.0.1 for tests, and a regtest-difficulty block to confirm into.

`POST /digest` answers a pending timestamp built with the `opentimestamps` library, as a public
calendar does (a time prefix, a nonce, SHA-256, a pending attestation naming this calendar).
`confirm()` then puts every pending commitment into a Merkle tree, into a transaction, into a block
whose header is mined at nBits 0x207fffff (regtest: a couple of hashes), and from then on
`GET /timestamp/<hex>` answers the path from the commitment to a Bitcoin attestation at that height.
Such a header only passes verification with `network="regtest"`: on mainnet it is exactly the
fabricated header the verifier must refuse.
"""

from __future__ import annotations

import hashlib
import os
import struct
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentimestamps.core.notary import BitcoinBlockHeaderAttestation, PendingAttestation
from opentimestamps.core.op import OpAppend, OpPrepend, OpSHA256
from opentimestamps.core.serialize import BytesSerializationContext
from opentimestamps.core.timestamp import Timestamp, make_merkle_tree

REGTEST_BITS = 0x207FFFFF
# A minimal transaction around the commitment: one input, one OP_RETURN output pushing 32 bytes.
_TX_PREFIX = bytes.fromhex("01000000" "01" + "00" * 32 + "ffffffff" "00" "ffffffff" "01" + "00" * 8 + "22" "6a20")
_TX_SUFFIX = bytes.fromhex("00000000")


def dsha256(data: bytes) -> bytes:
    """Bitcoin's double SHA-256."""
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def serialize(stamp: Timestamp) -> bytes:
    """A timestamp tree's bytes, as a calendar sends them."""
    ctx = BytesSerializationContext()
    stamp.serialize(ctx)
    return ctx.getbytes()


def mine_header(prev_internal: bytes, merkle_root: bytes, ntime: int, bits: int = REGTEST_BITS,
                version: int = 0x20000000) -> bytes:
    """An 80-byte header whose dSHA256 meets the target its nBits encode."""
    exponent, mantissa = bits >> 24, bits & 0x7FFFFF
    target = mantissa << 8 * (exponent - 3)
    for nonce in range(1 << 32):
        raw = struct.pack("<i32s32sIII", version, prev_internal, merkle_root, ntime, bits, nonce)
        if int.from_bytes(dsha256(raw), "little") <= target:
            return raw
    raise RuntimeError("no nonce meets the target")


def header_entry(raw: bytes) -> dict:
    """A header in the layout of shared/data/ots/block_headers.json."""
    version, prev, root, ntime, bits, nonce = struct.unpack("<i32s32sIII", raw)
    return {
        "hash": dsha256(raw)[::-1].hex(), "merkleroot": root[::-1].hex(), "merkleroot_internal": root.hex(),
        "time": ntime, "time_iso": datetime.fromtimestamp(ntime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "version": version, "previousblockhash": prev[::-1].hex(), "bits": f"{bits:08x}", "nonce": nonce,
        "header_hex": raw.hex(),
    }


class LocalCalendar:
    """The calendar server; `behaviour` switches it to failure modes ("garbage", "http500", "slow")."""

    def __init__(self, *, height: int = 900_000, block_time: int = 1_764_000_000):
        self.height = height
        self.block_time = block_time
        self.behaviour = "ok"
        self.requests: list[tuple[str, str]] = []
        self.pending: set[bytes] = set()
        self.upgrades: dict[bytes, bytes] = {}
        self._prev = bytes(32)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True  # a "slow" handler must not hold up teardown
        self._server.block_on_close = False
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    def __enter__(self) -> LocalCalendar:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def stamp(self, digest: bytes) -> bytes:
        """What `POST /digest` answers for `digest`."""
        stamp = Timestamp(digest)
        commit = (stamp.ops.add(OpPrepend(struct.pack(">I", int(time.time()))))
                  .ops.add(OpAppend(os.urandom(8))).ops.add(OpSHA256()))
        commit.attestations.add(PendingAttestation(self.url))
        with self._lock:
            self.pending.add(commit.msg)
        return serialize(stamp)

    def confirm(self) -> dict[str, dict]:
        """Mine every pending commitment into a new block; returns {height: header entry}."""
        with self._lock:
            commits = sorted(self.pending)
            stamps = [Timestamp(c) for c in commits]
            tip = make_merkle_tree(stamps)
            tx = tip.ops.add(OpPrepend(_TX_PREFIX)).ops.add(OpAppend(_TX_SUFFIX))
            txid = tx.ops.add(OpSHA256()).ops.add(OpSHA256())
            root = txid.ops.add(OpPrepend(os.urandom(32))).ops.add(OpSHA256()).ops.add(OpSHA256())
            root.attestations.add(BitcoinBlockHeaderAttestation(self.height))
            raw = mine_header(self._prev, root.msg, self.block_time)
            for commit, stamp in zip(commits, stamps, strict=True):
                self.upgrades[commit] = serialize(stamp)
            self.pending.clear()
            entry = {str(self.height): header_entry(raw)}
            self._prev = dsha256(raw)
            self.height += 1
            self.block_time += 600
            return entry

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        calendar = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _misbehave(self) -> bool:
                if calendar.behaviour == "slow":
                    time.sleep(2)
                if calendar.behaviour == "http500":
                    self._send(500, b"calendar broken")
                    return True
                if calendar.behaviour == "garbage":
                    self._send(200, b"\x42" * 40)
                    return True
                return False

            def do_POST(self) -> None:
                calendar.requests.append(("POST", self.path))
                digest = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self._misbehave():
                    return
                if self.path != "/digest" or not 1 <= len(digest) <= 64:
                    self._send(400, b"bad digest")
                    return
                self._send(200, calendar.stamp(digest))

            def do_GET(self) -> None:
                calendar.requests.append(("GET", self.path))
                if self._misbehave():
                    return
                prefix = "/timestamp/"
                try:
                    commitment = bytes.fromhex(self.path[len(prefix):]) if self.path.startswith(prefix) else None
                except ValueError:
                    commitment = None
                if commitment is None:
                    self._send(400, b"bad commitment")
                elif commitment in calendar.upgrades:
                    self._send(200, calendar.upgrades[commitment])
                elif commitment in calendar.pending:
                    self._send(404, b"Pending confirmation in Bitcoin blockchain")
                else:
                    self._send(404, b"Not found")

        return Handler

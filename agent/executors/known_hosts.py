"""SSH host keys pinned on first use, kept in an OpenSSH known_hosts-style file (mode 0600).

Trust on first use: the first key a host offers is written down; any later, different key is
refused with `HostKeyMismatchError` before a single credential leaves the appliance. A line this
module cannot read fails closed (nothing is pinned anew over it): a damaged file must never turn a
changed key into a fresh first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import threading
from pathlib import Path

from agent.errors import ExecutorConnectionError, HostKeyMismatchError

_WRITE_LOCK = threading.Lock()  # executors of several hosts share one file within a process


def host_entry(host: str, port: int) -> str:
    """The known_hosts name of a host: `host` on port 22, `[host]:port` otherwise (OpenSSH's form)."""
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key_bytes: bytes) -> str:
    """OpenSSH's SHA256 fingerprint of a public key blob (`SHA256:...`, unpadded base64)."""
    digest = base64.b64encode(hashlib.sha256(key_bytes).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


class KnownHosts:
    """The pinned host keys of one appliance."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    def _entries(self) -> dict[str, tuple[str, bytes]]:
        """name -> (key type, key blob) for every line; raises ExecutorConnectionError on a bad line."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise ExecutorConnectionError(f"cannot read pinned host keys {self.path}: {exc}") from None
        out: dict[str, tuple[str, bytes]] = {}
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split()
            try:
                if len(fields) < 3:
                    raise ValueError("expected: names key-type base64")
                blob = base64.b64decode(fields[2], validate=True)
            except (ValueError, binascii.Error) as exc:
                raise ExecutorConnectionError(
                    f"pinned host keys {self.path} line {number} is malformed ({exc}); refusing to trust "
                    "any key until it is fixed"
                ) from None
            for name in fields[0].split(","):
                out[name] = (fields[1], blob)
        return out

    def lookup(self, host: str, port: int) -> tuple[str, bytes] | None:
        """The pinned (key type, key blob) of a host, or None before first use."""
        return self._entries().get(host_entry(host, port))

    def verify(self, host: str, port: int, key_type: str, key_blob: bytes) -> bool:
        """Accept the pinned key (False) or pin a first key (True); raise HostKeyMismatchError otherwise."""
        with _WRITE_LOCK:
            pinned = self.lookup(host, port)
            if pinned is not None:
                if pinned == (key_type, key_blob):
                    return False
                raise HostKeyMismatchError(
                    f"host key for {host_entry(host, port)} changed: pinned {pinned[0]} {fingerprint(pinned[1])}, "
                    f"offered {key_type} {fingerprint(key_blob)}; nothing was sent. If the host was rebuilt, "
                    f"remove its line from {self.path}"
                )
            self._append(f"{host_entry(host, port)} {key_type} {base64.b64encode(key_blob).decode()}\n")
            return True

    def _append(self, line: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            existing = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
            if existing and not existing.endswith("\n"):
                existing += "\n"
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(existing + line)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)  # atomic: a crash leaves the old file or the new one, never half
        except OSError as exc:
            raise ExecutorConnectionError(f"cannot pin host key in {self.path}: {exc.strerror}") from None

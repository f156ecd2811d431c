"""Run POSIX shell scripts on Linux targets over SSH (paramiko, imported only when a target is reached).

Key auth with password fallback; host keys pinned on first use and refused when they change (checked
before any credential is sent); one connection per host, reused and reopened once if it died; sudo
answered from the executor only when sudo itself prompts, detected by a random prompt string, so a
password can never leak into the command's stdin. paramiko's exceptions become `agent.errors` in
`_translated`, the one place.
"""

from __future__ import annotations

import io
import os
import secrets
import select
import shlex
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from agent.errors import (
    ExecutorAuthError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorTimeout,
)
from agent.executors.base import ExecResult
from agent.executors.known_hosts import KnownHosts

MAX_OUTPUT = 8 * 1024 * 1024
"""Bytes kept per stream; the rest is drained and dropped so a chatty script cannot exhaust memory."""
_RSA_TYPES = ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]


class SSHExecutor:
    """One Linux host over SSH; `run` is serialised per host over one reused connection."""

    def __init__(
        self, host: str, port: int = 22, *, username: str, password: str | None = None,
        private_key: str | None = None, passphrase: str | None = None, sudo_password: str | None = None,
        known_hosts: Path | str, connect_timeout: float = 10.0, shell: str = "/bin/sh",
    ):
        if not password and not private_key:
            raise ExecutorAuthError(f"no password or private key for {username}@{host}")
        self.host, self.port, self.username = host, port, username
        self.shell = shell
        self.connect_timeout = connect_timeout
        self.known_hosts = KnownHosts(known_hosts)
        self._password = password
        self._private_key = private_key
        self._passphrase = passphrase
        self._sudo_password = sudo_password or password
        self._transport: Any = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:  # never the secrets
        return f"SSHExecutor({self.username}@{self.host}:{self.port})"

    # --- the executor interface -------------------------------------------------------------------

    def run(self, command: str, *, timeout: float, sudo: bool = False, stdin: str | None = None) -> ExecResult:
        """Run a script with `sh -c` (under sudo when asked); raises ExecutorError subclasses."""
        start = time.perf_counter()
        deadline = time.monotonic() + timeout
        with self._lock, _translated(f"{self.username}@{self.host}:{self.port}", timeout):
            chan = self._session(deadline)
            try:
                code, out, err = self._exec(chan, command, sudo, stdin, deadline)
            finally:
                chan.close()
        return ExecResult(code, out, err, (time.perf_counter() - start) * 1000)

    def close(self) -> None:
        """Close the connection (the next `run` opens a new one)."""
        with self._lock:
            self._drop()

    # --- connection -------------------------------------------------------------------------------

    def _session(self, deadline: float) -> Any:
        """A fresh channel on the live connection; a dead reused connection is reopened once."""
        import paramiko

        reused = self._transport is not None and self._transport.is_active()
        if not reused:
            self._connect()
        try:
            return self._transport.open_session(timeout=_left(deadline))
        except (paramiko.SSHException, EOFError, OSError):
            if not reused:
                raise
        self._connect()  # nothing was sent on the dead one, so trying again cannot run anything twice
        return self._transport.open_session(timeout=_left(deadline))

    def _connect(self) -> None:
        import paramiko

        self._drop()
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.connect_timeout)
        except TimeoutError:
            raise ExecutorConnectionError(f"{self.host}:{self.port}: connect timed out") from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small request/reply packets: no Nagle delay
        transport = paramiko.Transport(sock)
        try:
            pinned = self.known_hosts.lookup(self.host, self.port)
            if pinned is not None:  # negotiate the pinned key's type, as OpenSSH does from known_hosts
                options = transport.get_security_options()
                wanted = [t for t in (_RSA_TYPES if pinned[0] == "ssh-rsa" else [pinned[0]]) if t in options.key_types]
                options.key_types = [*wanted, *(t for t in options.key_types if t not in wanted)]
            transport.start_client(timeout=self.connect_timeout)
            key = transport.get_remote_server_key()
            self.known_hosts.verify(self.host, self.port, key.get_name(), key.asbytes())
            self._authenticate(transport)
            transport.set_keepalive(30)
        except BaseException:
            transport.close()
            raise
        self._transport = transport

    def _authenticate(self, transport: Any) -> None:
        import paramiko

        if self._private_key:
            pkey = _load_key(self._private_key, self._passphrase, f"{self.username}@{self.host}")
            try:
                transport.auth_publickey(self.username, pkey)
            except paramiko.AuthenticationException:
                if not self._password:
                    raise
            if transport.is_authenticated():
                return
        if self._password:
            transport.auth_password(self.username, self._password)  # falls back to keyboard-interactive
        if not transport.is_authenticated():
            raise paramiko.AuthenticationException("authentication incomplete")

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    # --- one command ------------------------------------------------------------------------------

    def _exec(self, chan: Any, command: str, sudo: bool, stdin: str | None, deadline: float) -> tuple[int, str, str]:
        chan.settimeout(max(_left(deadline), 0.01))
        inner = f"{self.shell} -c {shlex.quote(command)}"
        stream = _Streams(chan, deadline, self.host)
        if not sudo or self.username == "root":
            chan.exec_command(inner)
        else:
            self._become(chan, stream, inner)
        if stdin:
            chan.sendall(stdin.encode("utf-8"))
        chan.shutdown_write()  # EOF on stdin: a script that reads it must not wait forever
        stream.until_exit()
        return chan.recv_exit_status(), stream.text(stream.out), stream.text(stream.err)

    def _become(self, chan: Any, stream: _Streams, inner: str) -> None:
        """Start the command under sudo and answer its prompt; raise ExecutorAuthError if sudo refuses."""
        token = secrets.token_hex(8)
        prompt, ok = f"[osiris-sudo-{token}]", f"OSIRIS-SUDO-OK-{token}"
        mode = f"-S -p {shlex.quote(prompt)}" if self._sudo_password else "-n"
        body = f"echo {ok}; exec {inner}"
        chan.exec_command(f"sudo {mode} -- {self.shell} -c {shlex.quote(body)}")
        answered = False
        while True:
            if stream.out.startswith(f"{ok}\n".encode()):
                del stream.out[: len(ok) + 1]
                return
            if stream.err.endswith(prompt.encode()):
                if answered:  # sudo asks again: the password was wrong
                    raise ExecutorAuthError(f"sudo on {self.host} refused the password")
                del stream.err[-len(prompt):]
                chan.sendall((self._sudo_password or "").encode("utf-8") + b"\n")
                answered = True
                continue
            if stream.exited():
                reason = stream.text(stream.err).strip().splitlines()
                raise ExecutorAuthError(f"sudo on {self.host} failed: {reason[-1] if reason else 'no reason given'}")
            stream.pump()


class _Streams:
    """Stdout and stderr of one channel, read until exit or the deadline."""

    def __init__(self, chan: Any, deadline: float, host: str):
        self.chan, self.deadline, self.host = chan, deadline, host
        self.out, self.err = bytearray(), bytearray()
        self.dropped = 0

    def _take(self, buf: bytearray, data: bytes) -> None:
        room = MAX_OUTPUT - len(buf)
        buf += data[:room]
        self.dropped += max(0, len(data) - room)

    def pump(self) -> None:
        """Wait for data (or the deadline) and read what arrived; raises ExecutorTimeout when late."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise ExecutorTimeout(f"command ran past its timeout on {self.host}")
        if not (self.chan.recv_ready() or self.chan.recv_stderr_ready()):
            select.select([self.chan], [], [], min(left, 0.25))
        while self.chan.recv_ready():
            self._take(self.out, self.chan.recv(65536))
        while self.chan.recv_stderr_ready():
            self._take(self.err, self.chan.recv_stderr(65536))

    def exited(self) -> bool:
        """True once the exit status arrived and nothing is left to read."""
        return self.chan.exit_status_ready() and not (self.chan.recv_ready() or self.chan.recv_stderr_ready())

    def until_exit(self) -> None:
        """Read both streams until the command exits."""
        while not self.exited():
            self.pump()

    def text(self, buf: bytearray) -> str:
        """Decoded output, marked when bytes were dropped."""
        text = buf.decode("utf-8", errors="replace")
        if self.dropped and buf is self.out:
            text += f"\n[osiris: {self.dropped} bytes of output dropped past {MAX_OUTPUT}]\n"
        return text


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ExecutorTimeout("command ran past its timeout before it started")
    return left


def _load_key(text: str, passphrase: str | None, who: str) -> Any:
    """A paramiko key from OpenSSH or PEM text; ExecutorAuthError (never the key) when unreadable."""
    import paramiko
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    data = text.encode("utf-8")
    password = passphrase.encode("utf-8") if passphrase else None
    try:
        try:
            loaded = serialization.load_ssh_private_key(data, password)
        except ValueError:
            loaded = serialization.load_pem_private_key(data, password)
        classes = {rsa.RSAPrivateKey: paramiko.RSAKey, ed25519.Ed25519PrivateKey: paramiko.Ed25519Key,
                   ec.EllipticCurvePrivateKey: paramiko.ECDSAKey}
        cls = next((c for base, c in classes.items() if isinstance(loaded, base)), None)
        if cls is None:
            raise ValueError(f"unsupported key type {type(loaded).__name__}")
        return cls.from_private_key(io.StringIO(text), password=passphrase)
    except (ValueError, TypeError, paramiko.SSHException) as exc:
        reason = "wrong or missing passphrase" if isinstance(exc, TypeError) else type(exc).__name__
        raise ExecutorAuthError(f"private key for {who} cannot be read ({reason})") from None


@contextmanager
def _translated(who: str, timeout: float) -> Iterator[None]:
    """paramiko and socket errors -> agent.errors; the one place this executor translates."""
    import paramiko

    try:
        yield
    except ExecutorError:
        raise
    except paramiko.AuthenticationException as exc:
        raise ExecutorAuthError(f"{who}: authentication failed ({type(exc).__name__})") from exc
    except TimeoutError as exc:  # socket.timeout on a channel read or write
        raise ExecutorTimeout(f"{who}: command ran past {timeout:g} s") from exc
    except (paramiko.SSHException, EOFError, OSError) as exc:
        raise ExecutorConnectionError(f"{who}: {type(exc).__name__}: {exc}") from exc


def default_known_hosts() -> Path:
    """`$MSP_STATE_DIR/known_hosts`, else the agent's default state directory's."""
    from agent.settings import _default_state_dir

    state = os.environ.get("MSP_STATE_DIR")
    return (Path(state) if state else _default_state_dir()) / "known_hosts"


def connect(host: str, port: int, secret: Mapping[str, Any], *, known_hosts: Path | str | None = None,
            **options: Any) -> SSHExecutor:
    """An executor from a sealed credential (`username`, `password` | `private_key`, `sudo_password`)."""
    if not isinstance(secret.get("username"), str) or not secret["username"]:
        raise ExecutorAuthError(f"credential for {host} has no username")
    return SSHExecutor(
        host, port, username=secret["username"], password=secret.get("password"),
        private_key=secret.get("private_key"), passphrase=secret.get("passphrase"),
        sudo_password=secret.get("sudo_password"), known_hosts=known_hosts or default_known_hosts(), **options,
    )

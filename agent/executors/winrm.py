"""Run PowerShell on Windows targets over WinRM (pywinrm, imported only when a target is reached).

HTTPS on 5986 with certificate validation by default; plain HTTP only when explicitly allowed.
NTLM, Kerberos or Basic. One WinRS shell per host, kept open across commands and reopened once if
the host forgot it. Transient failures (connection reset or refused, HTTP 5xx without a WS-Man
fault, HTTP timeouts) are retried with exponential backoff within the command's deadline. Scripts
longer than 2 KB are uploaded in chunks to a temp file and run from there, then removed (see
`winrm_scripts`). Every pywinrm call goes through `_call`, the one place its errors are translated.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from agent.errors import (
    ExecutorAuthError,
    ExecutorConnectionError,
    ExecutorError,
    ExecutorTimeout,
    SettingsError,
    UnsupportedScriptError,
)
from agent.executors import winrm_scripts as ps
from agent.executors.base import ExecResult

log = logging.getLogger(__name__)
T = TypeVar("T")
TRANSPORTS = ("ntlm", "kerberos", "basic", "credssp", "certificate")
_TIMED_OUT = 2150858793  # WSMan "operation timed out": no output yet, ask again
_SHELL_GONE = 2150858843  # WSMan "shell not found": the host dropped our cached shell
_ACCESS_DENIED = 5


class WinRMExecutor:
    """One Windows host over WinRM; `run` is serialised per host over one cached shell."""

    def __init__(
        self, host: str, port: int | None = None, *, username: str, password: str | None = None,
        transport: str = "ntlm", scheme: str = "https", allow_http: bool = False, cert_validation: bool = True,
        ca_trust_path: str | None = None, path: str = "/wsman", retries: int = 3, backoff_base: float = 0.5,
        backoff_max: float = 8.0, operation_timeout: int = 20,
    ):
        if transport not in TRANSPORTS:
            raise SettingsError(f"WinRM transport {transport!r} is not one of {', '.join(TRANSPORTS)}")
        if scheme not in ("https", "http"):
            raise SettingsError(f"WinRM scheme {scheme!r} is not https or http")
        if scheme == "http" and not allow_http:
            raise SettingsError(f"WinRM to {host} over plain http is refused unless explicitly allowed")
        self.host, self.username, self.transport = host, username, transport
        self.port = port or (5986 if scheme == "https" else 5985)
        self.endpoint = f"{scheme}://{host}:{self.port}{path}"
        self.cert_validation = cert_validation
        self.ca_trust_path = ca_trust_path
        self.retries, self.backoff_base, self.backoff_max = retries, backoff_base, backoff_max
        self.operation_timeout = max(1, int(operation_timeout))
        self.retried = 0  # transient failures retried, for status and tests
        self._password = password
        self._protocol: Any = None
        self._shell_id: str | None = None
        self._lock = threading.Lock()
        if scheme == "http" and transport == "basic":
            log.warning("WinRM to %s: basic auth over plain http sends the password in clear", host)

    def __repr__(self) -> str:  # never the password
        return f"WinRMExecutor({self.username}@{self.endpoint}, {self.transport})"

    # --- the executor interface -------------------------------------------------------------------

    def run(self, command: str, *, timeout: float, sudo: bool = False, stdin: str | None = None) -> ExecResult:
        """Run a PowerShell script (WinRM sessions are already elevated: `sudo` changes nothing)."""
        start = time.perf_counter()
        deadline = time.monotonic() + timeout
        with self._lock:
            if not ps.needs_upload(command):
                code, out, err = self._command(ps.encoded_command(command, stdin=stdin is not None), deadline, stdin)
            else:
                code, out, err = self._uploaded(command, deadline, stdin)
        return ExecResult(code, out, ps.clean_stderr(err), (time.perf_counter() - start) * 1000)

    def close(self) -> None:
        """Delete the cached shell and close the HTTP session."""
        with self._lock:
            if self._shell_id is not None and self._protocol is not None:
                shell_id, self._shell_id = self._shell_id, None
                try:
                    self._call("Delete", lambda: self._protocol.close_shell(shell_id, close_session=False),
                               time.monotonic() + 10)
                except ExecutorError as exc:
                    log.info("WinRM %s: closing shell failed: %s", self.host, exc)
            if self._protocol is not None:
                self._protocol.transport.close_session()

    # --- commands ---------------------------------------------------------------------------------

    def _uploaded(self, script: str, deadline: float, stdin: str | None) -> tuple[int, str, str]:
        chunks, run, cleanup = ps.upload_plan(script, f"osiris-{uuid.uuid4().hex}", stdin=stdin is not None)
        try:
            for n, line in enumerate(chunks, 1):
                code, _, err = self._command(line, deadline)
                if code != 0:
                    raise ExecutorConnectionError(
                        f"WinRM {self.host}: uploading the script failed at chunk {n} of {len(chunks)} "
                        f"(exit {code}): {ps.clean_stderr(err).strip()[:300]}")
            return self._command(run, deadline, stdin)
        finally:
            try:  # own short deadline: the temp file goes even when the command timed out
                self._command(cleanup, time.monotonic() + 30)
            except ExecutorError as exc:
                log.warning("WinRM %s: removing the uploaded script failed: %s", self.host, exc)

    def _command(self, line: str, deadline: float, stdin: str | None = None) -> tuple[int, str, str]:
        """Run one command line in the cached shell and wait for it; ExecutorTimeout at the deadline."""
        if len(line) >= ps.CMD_LIMIT:
            raise UnsupportedScriptError(f"command line of {len(line)} characters exceeds cmd.exe's limit")
        p = self._connected()
        shell_id = self._shell(deadline)
        try:
            command_id = self._call("Command", lambda: p.run_command(shell_id, line), deadline)
        except _ShellGone:  # idle timeout or service restart on the host: one fresh shell
            shell_id = self._shell(deadline)
            command_id = self._call("Command", lambda: p.run_command(shell_id, line), deadline)
        if stdin is not None:
            data = stdin.encode("utf-8")
            self._call("Send", lambda: p.send_command_input(shell_id, command_id, data, end=True), deadline)
        out, err = bytearray(), bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self._terminate(shell_id, command_id)
                raise ExecutorTimeout(f"WinRM {self.host}: command ran past its timeout")
            p.operation_timeout_sec = max(1, min(self.operation_timeout, math.ceil(left)))
            try:
                o, e, code, done = self._call("Receive", lambda: p.get_command_output_raw(shell_id, command_id),
                                              deadline)
            except _NoOutputYet:
                continue
            out += o
            err += e
            if done:
                break
        self._terminate(shell_id, command_id)  # WinRS keeps a finished command until it is signalled
        return code, out.decode("utf-8", errors="replace"), err.decode("utf-8", errors="replace")

    def _terminate(self, shell_id: str, command_id: str) -> None:
        try:
            self._call("Signal", lambda: self._protocol.cleanup_command(shell_id, command_id),
                       time.monotonic() + 10)
        except ExecutorError as exc:
            log.info("WinRM %s: signalling command end failed: %s", self.host, exc)

    # --- session ----------------------------------------------------------------------------------

    def _connected(self) -> Any:
        if self._protocol is None:
            import winrm

            try:
                self._protocol = winrm.Protocol(
                    self.endpoint, transport=self.transport, username=self.username, password=self._password,
                    server_cert_validation="validate" if self.cert_validation else "ignore",
                    ca_trust_path=self.ca_trust_path, read_timeout_sec=self.operation_timeout + 10,
                    operation_timeout_sec=self.operation_timeout,
                    proxy=None,  # an appliance reaches LAN hosts directly, never via an environment proxy
                )
            except Exception as exc:  # pywinrm validates its options with plain and WinRM errors
                raise ExecutorConnectionError(f"WinRM {self.host}: {type(exc).__name__}: {exc}") from exc
        return self._protocol

    def _shell(self, deadline: float) -> str:
        if self._shell_id is None:
            p = self._connected()
            self._shell_id = self._call("Create", lambda: p.open_shell(codepage=65001, noprofile=True), deadline)
        return self._shell_id

    # --- the one place pywinrm's errors are translated --------------------------------------------

    def _call(self, step: str, fn: Callable[[], T], deadline: float) -> T:
        """Run one WS-Man operation, retrying transient failures with exponential backoff."""
        import requests
        import winrm.exceptions as wx

        who = f"WinRM {self.host} {step}"
        for attempt in range(self.retries + 1):
            try:
                return fn()
            except wx.WinRMOperationTimeoutError:
                raise _NoOutputYet(who) from None
            except wx.WSManFaultError as exc:
                if exc.wsman_fault_code == _TIMED_OUT:
                    raise _NoOutputYet(who) from None
                if exc.wsman_fault_code == _SHELL_GONE or (exc.fault_subcode or "").endswith("InvalidSelectors"):
                    self._shell_id = None
                    raise _ShellGone(f"{who}: the host no longer knows the shell") from None
                cls = ExecutorAuthError if exc.wsman_fault_code == _ACCESS_DENIED else ExecutorConnectionError
                raise cls(f"{who}: WS-Management fault: {exc.reason}") from exc
            except wx.AuthenticationError as exc:
                raise ExecutorAuthError(f"{who}: credentials rejected") from exc
            except requests.exceptions.SSLError as exc:
                raise ExecutorConnectionError(f"{who}: TLS failed (certificate not trusted?): {exc}") from exc
            except (requests.ConnectionError, requests.Timeout, wx.WinRMTransportError) as exc:
                code = getattr(exc, "code", None)
                transient = not isinstance(exc, wx.WinRMTransportError) or (isinstance(code, int) and code >= 500)
                delay = min(self.backoff_max, self.backoff_base * 2 ** attempt)
                if not transient or attempt == self.retries or time.monotonic() + delay > deadline:
                    detail = f"HTTP {code}" if isinstance(exc, wx.WinRMTransportError) else type(exc).__name__
                    raise ExecutorConnectionError(f"{who}: {detail} (after {attempt + 1} attempts)") from exc
                log.info("%s: %s; retry %d in %.2f s", who, type(exc).__name__, attempt + 1, delay)
                self.retried += 1
                time.sleep(delay)
            except wx.WinRMError as exc:
                raise ExecutorConnectionError(f"{who}: {exc}") from exc
            except (ET.ParseError, StopIteration, KeyError, ValueError, AssertionError) as exc:
                # pywinrm reads replies with next(...) and assert: a malformed reply surfaces as these
                raise ExecutorConnectionError(f"{who}: malformed WS-Management reply ({type(exc).__name__})") from exc
        raise AssertionError("unreachable")  # pragma: no cover


class _NoOutputYet(ExecutorConnectionError):
    """A Receive timed out on the host side with nothing to say yet (normal for long commands)."""


class _ShellGone(ExecutorConnectionError):
    """The host no longer knows the cached shell (a fresh one is opened for the next command)."""


def connect(host: str, port: int, secret: Mapping[str, Any], **options: Any) -> WinRMExecutor:
    """An executor from a sealed credential: `username`, `password`, optional `transport`, `scheme`...

    Port 5985 is WinRM's plain-http port, so it needs `allow_http` in the secret or the options.
    """
    if not isinstance(secret.get("username"), str) or not secret["username"]:
        raise ExecutorAuthError(f"credential for {host} has no username")
    for key in ("transport", "scheme", "allow_http", "cert_validation", "ca_trust_path"):
        if key in secret:
            options.setdefault(key, secret[key])
    if port == 5985:
        options.setdefault("scheme", "http")
    return WinRMExecutor(host, port, username=secret["username"], password=secret.get("password"), **options)

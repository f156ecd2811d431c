"""A WS-Management server on 127.0.0.1 that speaks enough WinRS for pywinrm, for executor tests.

Real: HTTP (optionally TLS) with Basic auth, the SOAP envelopes pywinrm sends and the replies a
Windows host gives: Create (ShellId in a SelectorSet), Command (CommandId), Send (stdin),
Receive (base64 stdout/stderr `Stream`s, `CommandState .../Done` with `ExitCode`, or the
"operation timed out" fault 2150858793 while a command is still running), Signal and Delete (both
replies carry `RelatesTo` = the request's MessageID), and the "shell not found" fault 2150858843.

Emulated, since there is no PowerShell here: a command line `powershell.exe ... -EncodedCommand B`
is decoded (base64 of UTF-16LE) and the text is recognised as one of the executor's upload steps
(chunk write at an offset, decode + SHA-256 check + run, cleanup), which the server performs on
files in `temp_dir` (its `$env:TEMP`). Any other script text - inline scripts and the uploaded
script itself - goes to `responder` when a test sets one, else runs through `/bin/sh` as a real
child process: tests send text that is valid shell. Every command is recorded for assertions.

Fault injection: `faults` is consumed one per request: "503" answers HTTP 503 with a text body,
"reset" closes the connection without an answer (RST), "garbage" answers 200 with a non-WS-Man body.
"""

from __future__ import annotations

import base64
import hashlib
import re
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
}
_ENCODED = re.compile(r"^powershell\.exe (?P<opts>.*?)-EncodedCommand (?P<b64>[A-Za-z0-9+/=]+)$")
_CHUNK = re.compile(r"Join-Path \$env:TEMP '(?P<name>osiris-[0-9a-f]+)\.b64'\n.*SetLength\((?P<off>\d+)\).*"
                    r"GetBytes\('(?P<data>[A-Za-z0-9+/=]*)'\)", re.S)
_RUN = re.compile(r"Join-Path \$env:TEMP '(?P<name>osiris-[0-9a-f]+)'\n\$b = \[Convert\]::FromBase64String.*"
                  r"if \(\$h -ne '(?P<sha>[0-9A-F]{64})'\)", re.S)
_CLEANUP = re.compile(r"Join-Path \$env:TEMP '(?P<name>osiris-[0-9a-f]+)'\nRemove-Item")


@dataclass
class CommandRecord:
    """One WinRS command as received and as the emulator understood it."""

    line: str
    kind: str  # chunk | run_file | cleanup | inline | raw
    script: str = ""
    offset: int | None = None


class _Command:
    """A running (or already finished) command; output is collected as it comes."""

    def __init__(self, proc: subprocess.Popen | None = None, result: tuple[int, bytes, bytes] | None = None):
        self.proc = proc
        self.code = result[0] if result else None
        self.out = bytearray(result[1] if result else b"")
        self.err = bytearray(result[2] if result else b"")
        self.sent = [0, 0]  # bytes of stdout and stderr already sent in Receive replies
        self._readers = []
        if proc is not None:
            self._readers = [threading.Thread(target=self._read, args=(pipe, buf), daemon=True)
                             for pipe, buf in ((proc.stdout, self.out), (proc.stderr, self.err))]
            for r in self._readers:
                r.start()

    @staticmethod
    def _read(pipe, buf: bytearray) -> None:
        for chunk in iter(lambda: pipe.read1(65536), b""):
            buf += chunk

    def finished(self) -> bool:
        """True once the exit code is known and all output read."""
        if self.code is None and self.proc is not None and self.proc.poll() is not None:
            for r in self._readers:
                r.join(5)
            self.code = self.proc.returncode if self.proc.returncode >= 0 else 128 - self.proc.returncode
        return self.code is not None

    def unsent(self) -> tuple[bytes, bytes]:
        """Output not yet sent, marked as sent."""
        out, err = bytes(self.out[self.sent[0]:]), bytes(self.err[self.sent[1]:])
        self.sent = [len(self.out), len(self.err)]
        return out, err


class WSManServer:
    """Serve /wsman on 127.0.0.1:<free port> until `stop()`."""

    def __init__(self, username: str = "Administrator", password: str = "Passw0rd!", *,
                 tls: tuple[Path, Path] | None = None):
        self.username, self.password = username, password
        self.temp_dir = Path(tempfile.mkdtemp(prefix="wsman-temp-"))
        self.faults: list[str] = []
        self.requests: list[tuple[float, str]] = []  # (monotonic time, action name)
        self.commands: list[CommandRecord] = []
        self.responder: Callable[[str], tuple[int, str, str] | None] | None = None
        self.corrupt_next_chunk = False
        self.shells: dict[str, dict[str, _Command]] = {}
        self.killed = 0
        self.signals_seen = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        if tls is not None:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls[0]), str(tls[1]))
            self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}/wsman"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    def start(self) -> WSManServer:
        """Begin serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and kill any command still running."""
        self._httpd.shutdown()
        self._httpd.server_close()
        for commands in self.shells.values():
            for cmd in commands.values():
                if cmd.proc is not None and cmd.proc.poll() is None:
                    cmd.proc.kill()

    def actions(self) -> list[str]:
        """The action names received, in order."""
        return [a for _, a in self.requests]

    # --- the emulated host ------------------------------------------------------------------------

    def start_command(self, line: str) -> _Command:
        """Interpret one command line; returns a running or finished command."""
        match = _ENCODED.match(line)
        if match is None:
            self.commands.append(CommandRecord(line, "raw"))
            return self._shell_run(line)
        script = base64.b64decode(match["b64"]).decode("utf-16-le")
        if m := _CHUNK.search(script):
            self.commands.append(CommandRecord(line, "chunk", script, int(m["off"])))
            data = m["data"].encode()
            if self.corrupt_next_chunk:
                self.corrupt_next_chunk = False
                data = data[:-4] + (b"AAAA" if data[-4:] != b"AAAA" else b"BBBB")
            with open(self.temp_dir / f"{m['name']}.b64", "ab+") as fh:  # OpenOrCreate, SetLength, Position, Write
                fh.truncate(int(m["off"]))
                fh.seek(int(m["off"]))
                fh.write(data)
            return _Command(result=(0, b"", b""))
        if m := _RUN.search(script):
            self.commands.append(CommandRecord(line, "run_file", script))
            raw = base64.b64decode((self.temp_dir / f"{m['name']}.b64").read_bytes())
            actual = hashlib.sha256(raw).hexdigest().upper()
            if actual != m["sha"]:
                return _Command(result=(1, b"", f"osiris: uploaded script is corrupt (sha256 {actual})\n".encode()))
            (self.temp_dir / f"{m['name']}.ps1").write_bytes(b"\xef\xbb\xbf" + raw)
            return self._script(raw.decode("utf-8"))
        if m := _CLEANUP.search(script):
            self.commands.append(CommandRecord(line, "cleanup", script))
            for suffix in (".b64", ".ps1"):
                (self.temp_dir / f"{m['name']}{suffix}").unlink(missing_ok=True)
            return _Command(result=(0, b"", b""))
        self.commands.append(CommandRecord(line, "inline", script))
        return self._script(script)

    def _script(self, script: str) -> _Command:
        if self.responder is not None:
            answer = self.responder(script)
            if answer is not None:
                code, out, err = answer
                return _Command(result=(code, out.encode(), err.encode()))
        return self._shell_run(script)

    def _shell_run(self, text: str) -> _Command:
        proc = subprocess.Popen(["/bin/sh", "-c", text], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True)
        return _Command(proc=proc)


def _fault(code: int, subcode: str, reason: str, relates_to: str) -> bytes:
    return f"""<s:Envelope xmlns:s="{NS['s']}" xmlns:a="{NS['a']}" xmlns:w="{NS['w']}">
<s:Header><a:Action>http://schemas.dmtf.org/wbem/wsman/1/wsman/fault</a:Action>
<a:RelatesTo>{relates_to}</a:RelatesTo></s:Header>
<s:Body><s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>
<s:Reason><s:Text xml:lang="en-US">{reason}</s:Text></s:Reason>
<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" Machine="127.0.0.1">
<f:Message>{reason}</f:Message></f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>""".encode()


def _envelope(action: str, relates_to: str, body: str) -> bytes:
    return f"""<s:Envelope xmlns:s="{NS['s']}" xmlns:a="{NS['a']}" xmlns:w="{NS['w']}" xmlns:rsp="{NS['rsp']}"
xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer">
<s:Header><a:Action>{action}</a:Action><a:MessageID>uuid:{uuid.uuid4()}</a:MessageID>
<a:RelatesTo>{relates_to}</a:RelatesTo></s:Header><s:Body>{body}</s:Body></s:Envelope>""".encode()


def _handler(server: WSManServer) -> type[BaseHTTPRequestHandler]:
    from tests.agent.executors.wsman_actions import answer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body: no Nagle wait

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            if server.faults:
                fault = server.faults.pop(0)
                server.requests.append((time.monotonic(), f"fault:{fault}"))
                if fault == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if fault == "503":
                    return self._send(503, b"Service Unavailable", "text/plain")
                if fault == "garbage":
                    return self._send(200, b"<html>not wsman</html>", "application/soap+xml")
            expected = "Basic " + base64.b64encode(f"{server.username}:{server.password}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                server.requests.append((time.monotonic(), "unauthorized"))
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="WSMAN"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, reply = answer(server, ET.fromstring(body))
            self._send(status, reply, "application/soap+xml;charset=UTF-8")

        def _send(self, status: int, payload: bytes, ctype: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler

"""A real SSH server on 127.0.0.1 for executor tests: paramiko's server side, in-process, real commands.

What is real: the SSH protocol (key exchange, host key, password and public-key auth, channels,
exit status), and every command, which runs in `/bin/sh -c` as a child process with its stdin,
stdout and stderr wired to the channel (killed when the client closes the channel).

What is emulated: `sudo`. The tests already run as root, so the server plays sudo's part itself
for commands that start with `sudo`: it understands `-S` (password on stdin), `-p PROMPT`, `-n`
(never prompt), `-k` and `--`; it writes the prompt to stderr, reads one line from the channel,
re-prompts after "Sorry, try again." up to three times like real sudo, and answers
"sudo: a password is required" under `-n`. A command it lets through runs with SUDO_USER set to
the login name (as real sudo does), which is what tests check. Users marked `nopasswd` are never
prompted. The server records connections, auth attempts and commands so tests can assert on them.
"""

from __future__ import annotations

import io
import os
import shlex
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519


def ed25519_key() -> tuple[paramiko.PKey, str]:
    """A fresh Ed25519 key as (paramiko key, OpenSSH private key text)."""
    text = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    ).decode()
    return paramiko.Ed25519Key.from_private_key(io.StringIO(text)), text


@dataclass
class User:
    """A login on the test server."""

    password: str | None = None
    keys: list[paramiko.PKey] = field(default_factory=list)
    sudo_password: str | None = None  # None: the login password
    nopasswd: bool = False


class SSHTestServer:
    """Serve SSH on 127.0.0.1:<free port> until `stop()`."""

    def __init__(self, users: dict[str, User], host_key: paramiko.PKey | None = None):
        self.users = users
        self.host_key = host_key or ed25519_key()[0]  # swap it to play a rebuilt (or spoofed) host
        self.connections = 0
        self.auth_attempts: list[tuple[str, str]] = []  # (username, method)
        self.commands: list[str] = []
        self.killed = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._transports: list[paramiko.Transport] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> SSHTestServer:
        """Begin accepting connections."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        self._stop.set()
        self.drop_connections()
        self._thread.join(5)
        self._sock.close()

    def drop_connections(self) -> None:
        """Close every open connection from the server side (as a restarted sshd would)."""
        for t in list(self._transports):
            t.close()
        self._transports.clear()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            transport = _Transport(conn)
            transport.add_server_key(self.host_key)
            self._transports.append(transport)
            try:
                transport.start_server(server=_Interface(self))
            except (paramiko.SSHException, EOFError, OSError):
                transport.close()
                continue
            threading.Thread(target=self._channels, args=(transport,), daemon=True).start()

    def _channels(self, transport: paramiko.Transport) -> None:
        held = []  # a Channel closes itself when garbage-collected: keep every accepted one alive
        while transport.is_active():
            chan = transport.accept(0.2)  # exec requests start their own threads via _Interface
            if chan is not None:
                held.append(chan)


class _Transport(paramiko.Transport):
    """A server transport that says when it has acknowledged an exec request.

    paramiko calls `check_channel_exec_request` before it sends the success reply; a fast command
    could otherwise exit and close the channel before the client hears that the exec was accepted.
    """

    def __init__(self, sock: socket.socket):
        super().__init__(sock)
        self.acks: dict[int, threading.Event] = {}

    def _send_user_message(self, data) -> None:
        super()._send_user_message(data)
        raw = data.asbytes()
        if raw[:1] == bytes([paramiko.common.MSG_CHANNEL_SUCCESS]):
            event = self.acks.pop(int.from_bytes(raw[1:5], "big"), None)
            if event is not None:
                event.set()


class _Interface(paramiko.ServerInterface):
    def __init__(self, server: SSHTestServer):
        self.server = server
        self.username = ""

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password"

    def check_auth_password(self, username: str, password: str) -> int:
        self.server.auth_attempts.append((username, "password"))
        user = self.server.users.get(username)
        if user is not None and user.password is not None and password == user.password:
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        self.server.auth_attempts.append((username, "publickey"))
        user = self.server.users.get(username)
        if user is not None and any(k.asbytes() == key.asbytes() for k in user.keys):
            self.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        text = command.decode("utf-8")
        self.server.commands.append(text)
        acked = threading.Event()
        channel.get_transport().acks[channel.remote_chanid] = acked
        session = _Session(self.server, self.username, channel)
        threading.Thread(target=session.run, args=(text, acked), daemon=True).start()
        return True


class _Session:
    """One exec request: optional emulated sudo, then a real child process wired to the channel."""

    def __init__(self, server: SSHTestServer, username: str, channel: paramiko.Channel):
        self.server, self.username, self.chan = server, username, channel
        self.pending = b""  # stdin bytes read past the sudo password line

    def run(self, command: str, acked: threading.Event) -> None:
        acked.wait(5)
        try:
            code = self._sudo(command) if command.startswith("sudo ") else self._spawn(["/bin/sh", "-c", command], {})
        except OSError:
            code = 255
        try:
            self.chan.send_exit_status(code)
            self.chan.shutdown_write()
            self.chan.close()
        except (EOFError, OSError):
            pass

    def _line(self) -> bytes | None:
        while b"\n" not in self.pending:
            data = self.chan.recv(4096)
            if not data:
                return None
            self.pending += data
        line, _, self.pending = self.pending.partition(b"\n")
        return line

    def _sudo(self, command: str) -> int:
        argv = shlex.split(command)[1:]
        prompt, non_interactive = "Password:", False
        while argv and argv[0].startswith("-"):
            opt = argv.pop(0)
            if opt == "--":
                break
            if opt == "-p":
                prompt = argv.pop(0)
            elif opt == "-n":
                non_interactive = True
        user = self.server.users[self.username]
        expected = user.sudo_password if user.sudo_password is not None else user.password
        if not user.nopasswd:
            if non_interactive:
                self.chan.sendall_stderr(b"sudo: a password is required\n")
                return 1
            for attempt in range(3):
                self.chan.sendall_stderr(prompt.encode())
                line = self._line()
                if line is not None and line.decode() == expected:
                    break
                self.chan.sendall_stderr(b"Sorry, try again.\n" if attempt < 2 else b"")
            else:
                self.chan.sendall_stderr(b"sudo: 3 incorrect password attempts\n")
                return 1
        return self._spawn(argv, {"SUDO_USER": self.username})

    def _spawn(self, argv: list[str], env: dict[str, str]) -> int:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, **env}, start_new_session=True)
        pumps = [threading.Thread(target=self._out, args=(proc.stdout, self.chan.sendall), daemon=True),
                 threading.Thread(target=self._out, args=(proc.stderr, self.chan.sendall_stderr), daemon=True),
                 threading.Thread(target=self._in, args=(proc,), daemon=True)]
        for p in pumps:
            p.start()
        while True:
            try:
                proc.wait(timeout=0.02)
                break
            except subprocess.TimeoutExpired:
                if self.chan.closed:  # the client gave up (timeout): stop the command like sshd's SIGHUP
                    os.killpg(proc.pid, signal.SIGKILL)
                    self.server.killed += 1
        for p in pumps[:2]:
            p.join(5)
        return proc.returncode if proc.returncode >= 0 else 128 - proc.returncode  # as a shell reports a signal

    def _out(self, pipe, send) -> None:
        try:
            for chunk in iter(lambda: pipe.read1(65536), b""):
                send(chunk)
        except (OSError, EOFError):
            pass

    def _in(self, proc: subprocess.Popen) -> None:
        try:
            if self.pending:
                proc.stdin.write(self.pending)
            for chunk in iter(lambda: self.chan.recv(65536), b""):
                proc.stdin.write(chunk)
                proc.stdin.flush()
        except (OSError, EOFError, ValueError):
            pass
        finally:
            try:
                proc.stdin.close()
            except OSError:
                pass

"""SSH executor against a real SSH server on 127.0.0.1 running real commands."""

from __future__ import annotations

import stat
import time

import paramiko
import pytest

from agent.errors import ExecutorAuthError, ExecutorConnectionError, ExecutorTimeout, HostKeyMismatchError
from agent.executors.base import Executor
from agent.executors.ssh import SSHExecutor, connect
from tests.agent.executors.ssh_server import ed25519_key


def _alice(peer, tmp_path, **kw) -> SSHExecutor:
    options = dict(username="alice", password="alice-pw", known_hosts=tmp_path / "known_hosts")
    options.update(kw)
    return SSHExecutor("127.0.0.1", peer.server.port, **options)


def test_ssh_executor_is_an_executor(ssh_peer, tmp_path):
    assert isinstance(_alice(ssh_peer, tmp_path), Executor)


def test_ssh_run_real_command_captures_exit_stdout_stderr(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    result = ex.run("echo out; echo err >&2; printf 'caf\\303\\251'; exit 7", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (7, "out\ncafé", "err\n")
    assert result.duration_ms > 0
    ex.close()


def test_ssh_run_stdin_reaches_command(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    assert ex.run("tr a-z A-Z", timeout=10, stdin="hello\n").stdout == "HELLO\n"
    assert ex.run("cat", timeout=10).stdout == ""  # no stdin: EOF at once, never a hang
    ex.close()


def test_ssh_run_large_output_captured_whole(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    result = ex.run("head -c 3000000 /dev/zero | tr '\\0' x; echo; echo done >&2", timeout=30)
    assert len(result.stdout) == 3_000_001 and result.stderr == "done\n"
    ex.close()


def test_ssh_first_use_pins_host_key_in_0600_file(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    ex.run("true", timeout=10)
    pins = tmp_path / "known_hosts"
    assert stat.S_IMODE(pins.stat().st_mode) == 0o600
    key = ssh_peer.server.host_key
    assert pins.read_text() == f"[127.0.0.1]:{ssh_peer.server.port} {key.get_name()} {key.get_base64()}\n"
    ex.close()
    _alice(ssh_peer, tmp_path).run("true", timeout=10)  # the same key again: accepted, file unchanged
    assert len(pins.read_text().splitlines()) == 1


def test_ssh_changed_host_key_refused_before_any_credential(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    ex.run("true", timeout=10)
    ex.close()
    attempts = len(ssh_peer.server.auth_attempts)
    ssh_peer.server.host_key = ed25519_key()[0]  # same type, different key: a rebuilt or spoofed host
    with pytest.raises(HostKeyMismatchError, match="changed"):
        ex.run("touch /tmp/never", timeout=10)
    assert len(ssh_peer.server.auth_attempts) == attempts  # no password, no key signature was sent
    assert ssh_peer.server.commands == ["/bin/sh -c true"]


def test_ssh_changed_host_key_type_refused(ssh_peer, tmp_path):
    _alice(ssh_peer, tmp_path).run("true", timeout=10)
    ssh_peer.server.host_key = paramiko.ECDSAKey.generate()  # the host now offers only ECDSA
    with pytest.raises(HostKeyMismatchError):
        _alice(ssh_peer, tmp_path).run("true", timeout=10)


def test_ssh_malformed_pin_file_fails_closed(ssh_peer, tmp_path):
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{ssh_peer.server.port} ssh-ed25519 !!notbase64\n")
    with pytest.raises(ExecutorConnectionError, match="line 1 is malformed"):
        _alice(ssh_peer, tmp_path).run("true", timeout=10)
    assert ssh_peer.server.auth_attempts == []


def test_ssh_key_auth_sends_no_password(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path, password=None, private_key=ssh_peer.alice_key)
    assert ex.run("whoami >/dev/null && echo ok", timeout=10).stdout == "ok\n"
    assert ssh_peer.server.auth_attempts == [("alice", "publickey")]


def test_ssh_rejected_key_falls_back_to_password(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path, private_key=ssh_peer.bob_key)  # bob's key is not alice's
    assert ex.run("echo in", timeout=10).stdout == "in\n"
    assert ssh_peer.server.auth_attempts == [("alice", "publickey"), ("alice", "password")]


def test_ssh_wrong_password_raises_auth_error(ssh_peer, tmp_path):
    with pytest.raises(ExecutorAuthError, match="authentication failed"):
        _alice(ssh_peer, tmp_path, password="nope").run("true", timeout=10)


def test_ssh_unreadable_private_key_raises_auth_error_without_key_text(ssh_peer, tmp_path):
    bad = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END OPENSSH PRIVATE KEY-----\n"
    with pytest.raises(ExecutorAuthError, match="cannot be read") as caught:
        _alice(ssh_peer, tmp_path, password=None, private_key=bad).run("true", timeout=10)
    assert "c2VjcmV0" not in str(caught.value)


def test_ssh_no_secret_at_all_refused(tmp_path):
    with pytest.raises(ExecutorAuthError, match="no password or private key"):
        SSHExecutor("127.0.0.1", 22, username="x", known_hosts=tmp_path / "kh")


def test_ssh_sudo_answers_prompt_and_keeps_password_out_of_stdin(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    result = ex.run('echo "as:$SUDO_USER"; cat', timeout=10, sudo=True, stdin="payload\n")
    assert (result.exit_code, result.stdout) == (0, "as:alice\npayload\n")
    assert "alice-pw" not in result.stdout + result.stderr and "osiris-sudo" not in result.stderr
    assert ssh_peer.server.commands[-1].startswith("sudo -S -p '[osiris-sudo-")


def test_ssh_sudo_separate_password_used(ssh_peer, tmp_path):
    ex = SSHExecutor("127.0.0.1", ssh_peer.server.port, username="carol", private_key=ssh_peer.bob_key,
                     sudo_password="carol-sudo", known_hosts=tmp_path / "known_hosts")
    assert ex.run('echo "$SUDO_USER"; exit 3', timeout=10, sudo=True).stdout == "carol\n"
    assert ex.run("exit 3", timeout=10, sudo=True).exit_code == 3


def test_ssh_sudo_wrong_password_raises_auth_error(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path, sudo_password="wrong")
    with pytest.raises(ExecutorAuthError, match="refused the password"):
        ex.run("touch /tmp/never", timeout=10, sudo=True)
    assert ex.run("echo still", timeout=10).stdout == "still\n"  # the connection survives


def test_ssh_sudo_nopasswd_user_never_prompted(ssh_peer, tmp_path):
    ex = SSHExecutor("127.0.0.1", ssh_peer.server.port, username="bob", private_key=ssh_peer.bob_key,
                     known_hosts=tmp_path / "known_hosts")
    assert ex.run('echo "$SUDO_USER"', timeout=10, sudo=True).stdout == "bob\n"
    assert ssh_peer.server.commands[-1].startswith("sudo -n --")


def test_ssh_sudo_without_any_password_reports_sudo_refusal(ssh_peer, tmp_path):
    ex = SSHExecutor("127.0.0.1", ssh_peer.server.port, username="carol", private_key=ssh_peer.bob_key,
                     known_hosts=tmp_path / "known_hosts")
    with pytest.raises(ExecutorAuthError, match="a password is required"):
        ex.run("true", timeout=10, sudo=True)


def test_ssh_timeout_raises_and_connection_stays_usable(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    start = time.monotonic()
    with pytest.raises(ExecutorTimeout):
        ex.run("echo started; sleep 30", timeout=0.5)
    assert time.monotonic() - start < 3
    assert ex.run("echo next", timeout=10).stdout == "next\n"
    deadline = time.monotonic() + 3
    while ssh_peer.server.killed == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ssh_peer.server.killed == 1  # the abandoned command was stopped on the server
    assert ssh_peer.server.connections == 1


def test_ssh_one_connection_reused_per_host(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    for i in range(4):
        assert ex.run(f"echo {i}", timeout=10).stdout == f"{i}\n"
    assert ssh_peer.server.connections == 1
    ex.close()


def test_ssh_dropped_connection_reopened_once(ssh_peer, tmp_path):
    ex = _alice(ssh_peer, tmp_path)
    ex.run("true", timeout=10)
    ssh_peer.server.drop_connections()
    time.sleep(0.1)
    assert ex.run("echo back", timeout=10).stdout == "back\n"
    assert ssh_peer.server.connections == 2


def test_ssh_closed_port_raises_connection_error(tmp_path):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    ex = SSHExecutor("127.0.0.1", port, username="a", password="b", known_hosts=tmp_path / "kh")
    with pytest.raises(ExecutorConnectionError):
        ex.run("true", timeout=5)


def test_ssh_not_an_ssh_server_raises_connection_error(tmp_path):
    import socket
    import threading

    srv = socket.create_server(("127.0.0.1", 0))

    def answer():
        conn, _ = srv.accept()
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    ex = SSHExecutor("127.0.0.1", srv.getsockname()[1], username="a", password="b", known_hosts=tmp_path / "kh",
                     connect_timeout=3)
    with pytest.raises(ExecutorConnectionError):
        ex.run("true", timeout=5)
    srv.close()
    assert not (tmp_path / "kh").exists()


def test_ssh_connect_from_sealed_secret(ssh_peer, tmp_path):
    ex = connect("127.0.0.1", ssh_peer.server.port, {"username": "alice", "private_key": ssh_peer.alice_key},
                 known_hosts=tmp_path / "kh")
    assert ex.run("echo hi", timeout=10).stdout == "hi\n"
    assert "alice" in repr(ex) and "BEGIN" not in repr(ex)
    with pytest.raises(ExecutorAuthError, match="no username"):
        connect("127.0.0.1", 22, {"password": "x"}, known_hosts=tmp_path / "kh")


def test_ssh_pin_of_a_key_type_paramiko_lacks_is_still_a_mismatch(ssh_peer, tmp_path):
    (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{ssh_peer.server.port} ssh-dss AAAAB3NzaC1kc3M=\n")
    with pytest.raises(HostKeyMismatchError, match="pinned ssh-dss"):
        _alice(ssh_peer, tmp_path).run("true", timeout=10)
    assert ssh_peer.server.auth_attempts == []

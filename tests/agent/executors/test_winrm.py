"""WinRM executor against a WS-Management server on 127.0.0.1 (pywinrm on the real wire)."""

from __future__ import annotations

import base64
import time
from itertools import pairwise

import pytest

from agent.errors import (
    ExecutorAuthError,
    ExecutorConnectionError,
    ExecutorTimeout,
    SettingsError,
)
from agent.executors import winrm_scripts as ps
from agent.executors.base import Executor
from agent.executors.winrm import WinRMExecutor, connect
from tests.agent.executors.wsman_server import WSManServer
from tests.agent.tls import make_tls


def _long_script(lines: int = 150) -> str:
    # Valid shell for the emulator; the padding pushes it well past the 2 KB inline limit.
    return "\n".join(f"echo line-{i}  # {'p' * 90}" for i in range(lines)) + "\necho tail >&2\nexit 4\n"


def test_winrm_default_is_https_5986_with_certificate_validation():
    ex = WinRMExecutor("10.0.0.9", username="u", password="p")  # constructed only: nothing is contacted
    assert ex.endpoint == "https://10.0.0.9:5986/wsman"
    assert ex.cert_validation is True and ex.transport == "ntlm"
    assert isinstance(ex, Executor) and "p'" not in repr(ex)


def test_winrm_plain_http_refused_unless_allowed():
    with pytest.raises(SettingsError, match="plain http is refused"):
        WinRMExecutor("h", username="u", password="p", scheme="http")
    assert WinRMExecutor("h", username="u", password="p", scheme="http", allow_http=True).endpoint == "http://h:5985/wsman"
    with pytest.raises(SettingsError, match="plain http is refused"):
        connect("h", 5985, {"username": "u", "password": "p"})
    with pytest.raises(SettingsError, match="transport"):
        WinRMExecutor("h", username="u", password="p", transport="telepathy")


def test_winrm_inline_script_exit_code_stdout_stderr(wsman, winrm_exec):
    result = winrm_exec().run("echo out; printf 'caf\\303\\251\\n'; echo err >&2; exit 3", timeout=10)
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\ncafé\n", "err\n")
    assert [c.kind for c in wsman.commands] == ["inline"]
    line = wsman.commands[0].line
    assert line.startswith("powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -InputFormat None")
    assert base64.b64decode(line.rsplit(" ", 1)[1]).decode("utf-16-le").startswith("echo out;")


def test_winrm_long_script_uploaded_in_ordered_chunks_then_removed(wsman, winrm_exec):
    script = _long_script()
    assert len(script.encode()) > 3 * ps.INLINE_MAX
    result = winrm_exec().run(script, timeout=30)
    assert result.exit_code == 4 and result.stderr == "tail\n"
    assert result.stdout.splitlines() == [f"line-{i}" for i in range(150)]
    kinds = [c.kind for c in wsman.commands]
    chunks = [c for c in wsman.commands if c.kind == "chunk"]
    assert kinds == ["chunk"] * len(chunks) + ["run_file", "cleanup"] and len(chunks) >= 4
    offsets = [c.offset for c in chunks]
    assert offsets == sorted(offsets) and offsets[0] == 0
    assert all(b - a == ps.CHUNK_CHARS for a, b in pairwise(offsets))  # contiguous, in order
    assert max(len(c.line) for c in wsman.commands) < ps.CMD_LIMIT
    assert list(wsman.temp_dir.iterdir()) == []  # both temp files removed


def test_winrm_upload_removed_even_when_command_times_out(wsman, winrm_exec):
    script = _long_script(40) + "sleep 30\n"
    with pytest.raises(ExecutorTimeout):
        winrm_exec(operation_timeout=1).run(script.replace("exit 4\n", ""), timeout=1.0)
    assert wsman.commands[-1].kind == "cleanup" and list(wsman.temp_dir.iterdir()) == []
    assert wsman.killed == 1


def test_winrm_corrupted_upload_refused_by_checksum(wsman, winrm_exec):
    wsman.corrupt_next_chunk = True
    result = winrm_exec().run(_long_script(), timeout=30)
    assert result.exit_code == 1 and "uploaded script is corrupt" in result.stderr
    assert list(wsman.temp_dir.iterdir()) == []


def test_winrm_stdin_reaches_command(wsman, winrm_exec):
    assert winrm_exec().run("tr a-z A-Z", timeout=10, stdin="hello\n").stdout == "HELLO\n"
    assert "-InputFormat None" not in wsman.commands[0].line
    assert "Send" in wsman.actions()


def test_winrm_shell_created_once_and_reused(wsman, winrm_exec):
    ex = winrm_exec()
    for i in range(3):
        assert ex.run(f"echo {i}", timeout=10).stdout == f"{i}\n"
    assert wsman.actions().count("Create") == 1
    assert wsman.actions().count("Signal") == 3  # each finished command released (RelatesTo checked)
    ex.close()
    assert wsman.actions()[-1] == "Delete" and wsman.shells == {}


def test_winrm_forgotten_shell_reopened_once(wsman, winrm_exec):
    ex = winrm_exec()
    ex.run("true", timeout=10)
    wsman.shells.clear()  # the host restarted WinRM or the shell idled out
    assert ex.run("echo again", timeout=10).stdout == "again\n"
    assert wsman.actions().count("Create") == 2


def test_winrm_retries_transient_503_and_reset_with_backoff(wsman, winrm_exec):
    ex = winrm_exec(backoff_base=0.1, backoff_max=1.0)
    ex.run("true", timeout=10)  # shell open; the faults below hit the next Command
    wsman.faults = ["503", "reset", "503"]
    assert ex.run("echo through", timeout=10).stdout == "through\n"
    assert ex.retried == 3
    times = [t for t, a in wsman.requests if a.startswith("fault:")] + [
        next(t for t, a in wsman.requests[::-1] if a == "Command")]
    gaps = [b - a for a, b in pairwise(times)]
    assert gaps[0] >= 0.1 and gaps[1] >= 0.2 and gaps[2] >= 0.4  # 0.1, 0.2, 0.4: doubling each time
    assert [c.kind for c in wsman.commands].count("inline") == 2  # retried requests never ran twice


def test_winrm_gives_up_after_retries(wsman, winrm_exec):
    wsman.faults = ["503"] * 10
    with pytest.raises(ExecutorConnectionError, match=r"HTTP 503 \(after 3 attempts\)"):
        winrm_exec(retries=2).run("true", timeout=10)


def test_winrm_malformed_reply_is_a_typed_error(wsman, winrm_exec):
    wsman.faults = ["garbage"]
    with pytest.raises(ExecutorConnectionError, match="malformed WS-Management reply"):
        winrm_exec().run("true", timeout=10)


def test_winrm_wrong_password_raises_auth_error(wsman, winrm_exec):
    with pytest.raises(ExecutorAuthError, match="credentials rejected"):
        winrm_exec(password="nope").run("true", timeout=10)
    assert wsman.commands == []


def test_winrm_timeout_signals_terminate_and_kills(wsman, winrm_exec):
    ex = winrm_exec(operation_timeout=1)
    start = time.monotonic()
    with pytest.raises(ExecutorTimeout):
        ex.run("sleep 30", timeout=1.0)
    assert time.monotonic() - start < 4
    assert wsman.killed == 1 and wsman.actions()[-1] == "Signal"
    assert ex.run("echo alive", timeout=10).stdout == "alive\n"


def test_winrm_closed_port_raises_connection_error(winrm_exec):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as s:
        port = s.getsockname()[1]
    ex = WinRMExecutor("127.0.0.1", port, username="u", password="p", transport="basic", scheme="http",
                       allow_http=True, retries=1, backoff_base=0.01)
    with pytest.raises(ExecutorConnectionError, match="after 2 attempts"):
        ex.run("true", timeout=5)


def test_winrm_https_untrusted_certificate_refused_then_trusted_with_ca(tmp_path):
    tls = make_tls(tmp_path)
    server = WSManServer(tls=(tls["cert"], tls["key"])).start()
    try:
        strict = WinRMExecutor("127.0.0.1", server.port, username="Administrator", password="Passw0rd!",
                               transport="basic", retries=0)
        with pytest.raises(ExecutorConnectionError, match="TLS failed"):
            strict.run("true", timeout=10)
        assert server.commands == []
        trusted = WinRMExecutor("127.0.0.1", server.port, username="Administrator", password="Passw0rd!",
                                transport="basic", ca_trust_path=str(tls["ca"]))
        assert trusted.run("echo tls", timeout=10).stdout == "tls\n"
        trusted.close()
    finally:
        server.stop()


def test_winrm_connect_reads_options_from_secret(wsman):
    ex = connect("127.0.0.1", wsman.port, {"username": "Administrator", "password": "Passw0rd!",
                                           "transport": "basic", "scheme": "http", "allow_http": True})
    assert ex.run("echo ok", timeout=10).stdout == "ok\n"
    ex.close()
    with pytest.raises(ExecutorAuthError, match="no username"):
        connect("h", 5986, {"password": "p"})


def test_clean_stderr_reads_clixml_errors():
    clixml = ('#< CLIXML\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04">'
              '<S S="Error">Access is denied._x000D__x000A_</S><S S="Progress">x</S>'
              '<S S="Error">At line:1 char:1_x000D__x000A_</S></Objs>')
    assert ps.clean_stderr(clixml) == "Access is denied.\r\nAt line:1 char:1\r\n"


def test_clean_stderr_broken_clixml_returned_unchanged():
    broken = '#< CLIXML\n<Objs><S S="Error">unterminated'
    assert ps.clean_stderr(broken) == broken
    assert ps.clean_stderr("plain error\n") == "plain error\n"


def test_upload_plan_lines_fit_cmd_limit_for_any_text():
    script = "Write-Output 'é—𝄞'\n" * 3000  # non-ASCII, astral plane, ~90 KB
    chunks, run, cleanup = ps.upload_plan(script, "osiris-" + "a" * 32)
    assert all(len(line) < ps.CMD_LIMIT for line in [*chunks, run, cleanup])
    payload = "".join(base64.b64decode(c.rsplit(" ", 1)[1]).decode("utf-16-le").split("GetBytes('")[1].split("')")[0]
                      for c in chunks)
    assert base64.b64decode(payload).decode() == script
    assert len(ps.encoded_command("x" * ps.INLINE_MAX)) < ps.CMD_LIMIT


def test_winrm_kerberos_without_its_library_is_a_typed_error(wsman, winrm_exec):
    try:
        import requests_kerberos  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("requests_kerberos is installed here")
    with pytest.raises(ExecutorConnectionError, match="kerberos"):
        winrm_exec(transport="kerberos").run("true", timeout=5)
    assert wsman.commands == []

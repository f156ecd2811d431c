"""The WS-Management actions of the test server: one SOAP request in, (HTTP status, SOAP reply) out."""

from __future__ import annotations

import base64
import os
import re
import signal
import time
import uuid
import xml.etree.ElementTree as ET

from tests.agent.executors.wsman_server import NS, WSManServer, _envelope, _fault

SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TIMED_OUT = 2150858793
SHELL_GONE = 2150858843
STREAM_PIECE = 1024  # real hosts split output over several Stream elements; so does this one


def _text(root: ET.Element, path: str) -> str:
    node = root.find(path, NS)
    return (node.text or "").strip() if node is not None else ""


def _seconds(duration: str) -> float:
    match = re.fullmatch(r"PT([0-9.]+)S", duration)
    return float(match.group(1)) if match else 20.0


def answer(server: WSManServer, root: ET.Element) -> tuple[int, bytes]:
    """Dispatch one request by its Action."""
    action = _text(root, "s:Header/a:Action")
    message_id = _text(root, "s:Header/a:MessageID")
    name = action.rsplit("/", 1)[-1]
    server.requests.append((time.monotonic(), name))
    if name == "Create":
        shell_id = str(uuid.uuid4()).upper()
        server.shells[shell_id] = {}
        body = (f'<x:ResourceCreated><a:Address>{server.url}</a:Address><a:ReferenceParameters>'
                f'<w:ResourceURI>{SHELL}/cmd</w:ResourceURI><w:SelectorSet><w:Selector Name="ShellId">{shell_id}'
                f'</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>'
                f'<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId></rsp:Shell>')
        return 200, _envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", message_id, body)
    selector = root.find("s:Header/w:SelectorSet/w:Selector[@Name='ShellId']", NS)
    shell_id = (selector.text or "").strip() if selector is not None else ""
    commands = server.shells.get(shell_id)
    if commands is None:
        return 500, _fault(SHELL_GONE, "w:InvalidSelectors",
                           f"The request for the Windows Remote Shell with ShellId {shell_id} failed because the "
                           "shell was not found on the server.", message_id)
    if name == "Delete":
        for cmd in commands.values():
            _kill(server, cmd)
        del server.shells[shell_id]
        return 200, _envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", message_id, "")
    if name == "Command":
        line = _text(root, "s:Body/rsp:CommandLine/rsp:Command")
        args = _text(root, "s:Body/rsp:CommandLine/rsp:Arguments")
        cmd = server.start_command(f"{line} {args}".strip())
        if cmd.proc is not None and " -InputFormat None " in line:
            cmd.proc.stdin.close()  # what -InputFormat None means to powershell.exe
        command_id = str(uuid.uuid4()).upper()
        commands[command_id] = cmd
        body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
        return 200, _envelope(f"{SHELL}/CommandResponse", message_id, body)
    if name == "Send":
        stream = root.find("s:Body/rsp:Send/rsp:Stream", NS)
        cmd = commands[stream.get("CommandId")]
        if cmd.proc is not None:
            cmd.proc.stdin.write(base64.b64decode(stream.text or ""))
            if stream.get("End") == "true":
                cmd.proc.stdin.close()
        return 200, _envelope(f"{SHELL}/SendResponse", message_id, "<rsp:SendResponse/>")
    if name == "Receive":
        command_id = root.find("s:Body/rsp:Receive/rsp:DesiredStream", NS).get("CommandId")
        return _receive(commands[command_id], command_id, message_id,
                        _seconds(_text(root, "s:Header/w:OperationTimeout")))
    if name == "Signal":
        signal_node = root.find("s:Body/rsp:Signal", NS)
        cmd = commands.pop(signal_node.get("CommandId"), None)
        server.signals_seen += 1
        if cmd is not None and _text(root, "s:Body/rsp:Signal/rsp:Code").endswith("/terminate"):
            _kill(server, cmd)
        return 200, _envelope(f"{SHELL}/SignalResponse", message_id, "<rsp:SignalResponse/>")
    return 500, _fault(0, "w:ActionNotSupported", f"unknown action {action}", message_id)


def _receive(cmd, command_id: str, message_id: str, op_timeout: float) -> tuple[int, bytes]:
    deadline = time.monotonic() + op_timeout
    while True:
        done = cmd.finished()
        out, err = cmd.unsent()
        if out or err or done:
            break
        if time.monotonic() >= deadline:
            return 500, _fault(TIMED_OUT, "w:TimedOut", "The WS-Management service cannot complete the "
                               "operation within the time specified in OperationTimeout.", message_id)
        time.sleep(0.01)
    streams = []
    for stream_name, data in (("stdout", out), ("stderr", err)):
        for i in range(0, len(data), STREAM_PIECE):
            piece = base64.b64encode(data[i:i + STREAM_PIECE]).decode()
            streams.append(f'<rsp:Stream Name="{stream_name}" CommandId="{command_id}">{piece}</rsp:Stream>')
    streams.append(f'<rsp:Stream Name="stdout" CommandId="{command_id}" End="true"></rsp:Stream>' if done else "")
    state = (f'<rsp:CommandState CommandId="{command_id}" State="{SHELL}/CommandState/Done">'
             f"<rsp:ExitCode>{cmd.code}</rsp:ExitCode></rsp:CommandState>" if done else
             f'<rsp:CommandState CommandId="{command_id}" State="{SHELL}/CommandState/Running"/>')
    body = f"<rsp:ReceiveResponse>{''.join(streams)}{state}</rsp:ReceiveResponse>"
    return 200, _envelope(f"{SHELL}/ReceiveResponse", message_id, body)


def _kill(server: WSManServer, cmd) -> None:
    if cmd.proc is not None and cmd.proc.poll() is None:
        os.killpg(cmd.proc.pid, signal.SIGKILL)
        server.killed += 1

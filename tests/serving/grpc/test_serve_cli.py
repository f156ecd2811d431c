"""`osiris serve --grpc-port`: a real process serves HTTP and both gRPC listeners, CA files on disk."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc
from tests.serving.conftest import _admin_sql, _free_port, _in_thread
from tests.serving.grpc import helpers


@dataclass
class Served:
    """A running `osiris serve` with gRPC."""

    base_url: str
    grpc_port: int
    enroll_port: int
    home: Path
    env: dict[str, str]


@pytest.fixture(scope="module")
def served(pg_server_url: str, serving_template: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`osiris serve --grpc-port G --grpc-enroll-port E` on its own database."""
    from warehouse.pg import with_database

    name = f"osiris_grpc_{uuid.uuid4().hex[:10]}"
    _in_thread(_admin_sql(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{serving_template}"'))
    home = tmp_path_factory.mktemp("grpc-home")
    port, grpc_port, enroll_port = _free_port(), _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": with_database(pg_server_url, name), "OSIRIS_HOME": str(home)}
    log = open(home / "serve.log", "wb")  # noqa: SIM115 - closed in the teardown below
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--grpc-port", str(grpc_port), "--grpc-enroll-port", str(enroll_port)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if proc.poll() is not None:
                pytest.fail(f"osiris serve exited early:\n{(home / 'serve.log').read_text()[-2000:]}")
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("osiris serve did not become ready in 60 s")
            time.sleep(0.1)
        yield Served(base, grpc_port, enroll_port, home, env)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        _in_thread(_admin_sql(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def test_serve_ca_files_on_disk_keys_0600(served):
    ca_dir = served.home / "ca"
    assert stat.S_IMODE(ca_dir.stat().st_mode) == 0o700
    for name, mode in (("ca.key", 0o600), ("server.key", 0o600), ("ca.crt", 0o644), ("server.crt", 0o644)):
        assert stat.S_IMODE((ca_dir / name).stat().st_mode) == mode, name


def test_serve_grpc_health_on_both_ports_and_enrollment_flow(served):
    ca_pem = (served.home / "ca" / "ca.crt").read_bytes()
    with grpc.secure_channel(f"127.0.0.1:{served.enroll_port}", grpc.ssl_channel_credentials(ca_pem)) as channel:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    assert answer.status == health_pb2.HealthCheckResponse.SERVING

    token = subprocess.run([sys.executable, "-m", "cli.main", "tokens", "create", "--role", "admin"],
                           env=served.env, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    auth = {"Authorization": f"Bearer {token}"}
    site = httpx.post(served.base_url + "/api/sites", json={"name": "Clinic"}, headers=auth).json()["id"]
    issued = httpx.post(f"{served.base_url}/api/sites/{site}/enrollment-tokens", json={}, headers=auth).json()
    assert (issued["grpc_port"], issued["grpc_enroll_port"]) == (served.grpc_port, served.enroll_port)
    assert issued["ca_certificate_pem"].encode() == ca_pem

    key = helpers.new_key()
    with grpc.secure_channel(f"127.0.0.1:{served.enroll_port}", grpc.ssl_channel_credentials(ca_pem)) as channel:
        reg = pb_grpc.ComplianceAgentStub(channel).Register(
            pb.RegisterRequest(enrollment_token=issued["token"], csr_pem=helpers.csr_for(key)), timeout=10)
    mtls = grpc.ssl_channel_credentials(ca_pem, helpers.pem_key(key), reg.certificate_pem)
    with grpc.secure_channel(f"127.0.0.1:{served.grpc_port}", mtls) as channel:
        health = health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="osiris.compliance.v1.ComplianceAgent"), timeout=10)
        beat = pb_grpc.ComplianceAgentStub(channel).Heartbeat(
            pb.HeartbeatRequest(hostname="a-1", agent_version="1"), timeout=10)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert beat.site_id == site

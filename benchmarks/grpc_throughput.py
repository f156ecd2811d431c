"""gRPC throughput against a real `osiris serve --grpc-port`: ReportDrift events/s and Heartbeat calls/s.

    .venv/bin/python benchmarks/grpc_throughput.py [--events 20000] [--heartbeats 2000] [--concurrency 16] [--rounds 3]

One server process (HTTP + both gRPC listeners, mutual TLS with its own CA) on a fresh database. The
appliance enrolls for real (HTTP enrollment token, then Register with a CSR). Measured from this
process, in the same run:
- ReportDrift: `--events` incidents over one bidirectional stream, clock stopped at the last ack
  (every ack checked in order); baseline: the same number of incidents through the HTTP agent path,
  `POST /api/agent/telemetry` in batches of `--http-batch`.
- Heartbeat: `--heartbeats` calls one after another, then with `--concurrency` in flight; baseline:
  the HTTP check-in (`POST /api/appliances/checkin`) one after another, and a gRPC health check (no
  database) as the transport's floor.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import httpx
from _central import _free_port, admin_token, fresh_database, osiris_serve
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from contracts.incidents import Incident
from contracts.telemetry import EventKind, event
from protos.compliance.v1 import compliance_pb2 as pb
from protos.compliance.v1 import compliance_pb2_grpc as pb_grpc

CHECKS = ("firewall_status", "bitlocker", "smb1_enabled", "ssh_root_login", "av_signatures", "screen_lock")


@contextlib.contextmanager
def serve_with_grpc(db_url: str) -> Iterator[tuple[str, int, int, Path]]:
    """`osiris serve --grpc-port` on `db_url`; yields (base URL, gRPC port, enrollment port, home)."""
    home = Path(tempfile.mkdtemp(prefix="osiris-bench-grpc-"))
    grpc_port, enroll_port = _free_port(), _free_port()
    with osiris_serve(db_url, home=str(home),
                      args=("--grpc-port", str(grpc_port), "--grpc-enroll-port", str(enroll_port))) as base:
        yield base, grpc_port, enroll_port, home


def _csr(key: ec.EllipticCurvePrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench")])
    return x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM)


async def enroll(base: str, admin: str, enroll_port: int) -> tuple[str, bytes, bytes, bytes, str]:
    """Site, token over HTTP, Register over gRPC: (site_id, CA PEM, key PEM, cert PEM, API key)."""
    headers = {"Authorization": f"Bearer {admin}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as client:
        site = (await client.post("/api/sites", json={"name": "bench"})).json()["id"]
        issued = (await client.post(f"/api/sites/{site}/enrollment-tokens", json={})).json()
    ca_pem = issued["ca_certificate_pem"].encode()
    key = ec.generate_private_key(ec.SECP256R1())
    async with grpc.aio.secure_channel(f"127.0.0.1:{enroll_port}", grpc.ssl_channel_credentials(ca_pem)) as ch:
        reg = await pb_grpc.ComplianceAgentStub(ch).Register(
            pb.RegisterRequest(enrollment_token=issued["token"], csr_pem=_csr(key), hostname="bench"), timeout=30)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return site, ca_pem, key_pem, reg.certificate_pem, reg.api_key


def incidents(n: int, prefix: str, site: str) -> list[Incident]:
    """n incidents with their pattern signatures computed, as the appliance computes them before sending."""
    return [
        Incident(incident_id=f"{prefix}-{i}", site_id=site, host=f"pc-{i % 500}", check_type=CHECKS[i % len(CHECKS)],
                 platform="windows", severity="high",
                 details={"profile": ("domain", "private", "public")[i % 3], "enabled": False})
        for i in range(n)
    ]


def drift_events(items: list[Incident]) -> list[pb.DriftEvent]:
    """The incidents as DriftEvents."""
    return [
        pb.DriftEvent(event_id=i.incident_id, incident_id=i.incident_id, host=i.host, check_type=i.check_type,
                      platform=i.platform, severity=pb.SEVERITY_HIGH, details_json=json.dumps(i.details),
                      pattern_signature=i.pattern_signature)
        for i in items
    ]


async def bench_drift(stub: pb_grpc.ComplianceAgentStub, site: str, n: int, prefix: str) -> dict:
    """Events/s through one ReportDrift stream, every ack checked."""
    events = drift_events(incidents(n, prefix, site))

    async def send():
        for e in events:
            yield e

    start = time.perf_counter()
    expected = 0
    async for ack in stub.ReportDrift(send(), timeout=600):
        expected += 1
        assert ack.sequence == expected and ack.status == pb.ACK_STATUS_STORED, ack
    seconds = time.perf_counter() - start
    assert expected == n
    return {"seconds": round(seconds, 3), "events_per_s": round(n / seconds)}


async def bench_http_telemetry(client: httpx.AsyncClient, site: str, n: int, batch: int, prefix: str) -> dict:
    """Events/s for the same kind of incidents through the HTTP agent path."""
    events = [event(EventKind.INCIDENT, i).model_dump(mode="json") for i in incidents(n, prefix, site)]
    start = time.perf_counter()
    accepted = 0
    for i in range(0, n, batch):
        r = await client.post("/api/agent/telemetry", json={"events": events[i:i + batch]})
        r.raise_for_status()
        accepted += r.json()["accepted"]
    seconds = time.perf_counter() - start
    assert accepted == n
    return {"seconds": round(seconds, 3), "events_per_s": round(n / seconds), "batch_size": batch}


async def _rate(call, n: int, concurrency: int) -> dict:
    done = 0

    async def worker(count: int) -> None:
        nonlocal done
        for _ in range(count):
            await call()
            done += 1

    share = [n // concurrency + (1 if i < n % concurrency else 0) for i in range(concurrency)]
    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in share))
    seconds = time.perf_counter() - start
    assert done == n
    return {"calls": n, "concurrency": concurrency, "seconds": round(seconds, 3), "calls_per_s": round(n / seconds)}


def _median(rounds: list[dict], rate: str) -> dict:
    best = sorted(rounds, key=lambda r: r[rate])[len(rounds) // 2]
    return {**best, f"{rate}_all_rounds": [r[rate] for r in rounds]}


async def run(args: argparse.Namespace, base: str, grpc_port: int, enroll_port: int, admin: str) -> dict:
    """Everything against one running server, gRPC and HTTP interleaved round by round (load on a
    shared machine drifts; interleaving keeps each ratio fair), medians reported."""
    site, ca_pem, key_pem, cert_pem, api_key = await enroll(base, admin, enroll_port)
    creds = grpc.ssl_channel_credentials(ca_pem, key_pem, cert_pem)
    body = {"hostname": "bench", "agent_version": "1.0", "platform": "windows"}
    rounds: dict[str, list[dict]] = {k: [] for k in ("drift", "http_drift", "hb_seq", "hb_conc", "http_seq", "floor")}
    async with (
        grpc.aio.secure_channel(f"127.0.0.1:{grpc_port}", creds) as channel,
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {api_key}"}, timeout=600) as client,
    ):
        stub = pb_grpc.ComplianceAgentStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        beat = pb.HeartbeatRequest(**body)
        await stub.Heartbeat(beat, timeout=30)  # warm the connection and the pool

        async def checkin() -> None:
            (await client.post("/api/appliances/checkin", json=body)).raise_for_status()

        for r in range(args.rounds):
            rounds["drift"].append(await bench_drift(stub, site, args.events, f"grpc{r}"))
            rounds["http_drift"].append(
                await bench_http_telemetry(client, site, args.events, args.http_batch, f"http{r}"))
            rounds["hb_seq"].append(await _rate(lambda: stub.Heartbeat(beat, timeout=30), args.heartbeats, 1))
            rounds["http_seq"].append(await _rate(checkin, args.heartbeats, 1))
            rounds["hb_conc"].append(
                await _rate(lambda: stub.Heartbeat(beat, timeout=30), args.heartbeats, args.concurrency))
            rounds["floor"].append(
                await _rate(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=30), args.heartbeats, 1))
    drift, http_drift = _median(rounds["drift"], "events_per_s"), _median(rounds["http_drift"], "events_per_s")
    hb_seq, http_seq = _median(rounds["hb_seq"], "calls_per_s"), _median(rounds["http_seq"], "calls_per_s")
    return {
        "benchmark": "grpc_throughput",
        "rounds": args.rounds,
        "report_drift": {"grpc_stream": drift, "http_telemetry_batches": http_drift,
                         "ratio_grpc_over_http": round(drift["events_per_s"] / http_drift["events_per_s"], 2)},
        "heartbeat": {"grpc_sequential": hb_seq, "grpc_concurrent": _median(rounds["hb_conc"], "calls_per_s"),
                      "http_checkin_sequential": http_seq,
                      "grpc_health_check_sequential": _median(rounds["floor"], "calls_per_s"),
                      "ratio_grpc_over_http_sequential": round(hb_seq["calls_per_s"] / http_seq["calls_per_s"], 2)},
        "cpus": os.cpu_count(),
    }


def main() -> None:
    """Parse arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--http-batch", type=int, default=500)
    parser.add_argument("--heartbeats", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    # The database and server are set up outside the event loop: their helpers run their own loops.
    with fresh_database("osiris_bench_grpc") as db, serve_with_grpc(db) as (base, grpc_port, enroll_port, _):
        result = asyncio.run(run(args, base, grpc_port, enroll_port, admin_token(db)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()

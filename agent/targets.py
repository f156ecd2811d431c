"""The hosts an appliance looks after: simulated ones from settings, real ones from check-in.

Real targets arrive with check-in as credentials sealed to this appliance's box key; they are
stored sealed and opened only when an executor is built. SSH and WinRM executors live in
`agent/executors/ssh.py` and `agent/executors/winrm.py`, each exposing
`connect(host: str, port: int, secret: dict) -> Executor` (connecting lazily, on first `run`).
"""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Iterable

from agent.errors import AgentError
from agent.executors.base import Target
from agent.executors.simulated import SimulatedHost, parse_spec
from agent.keys import ApplianceKeys
from agent.store import Store
from contracts.api import SealedTarget
from contracts.runbooks import RunbookCatalog

log = logging.getLogger(__name__)
WINRM_PORTS = (5985, 5986)


def simulated_targets(
    spec: str, catalog: RunbookCatalog, *, seed: int = 0, drift_rate: float = 0.05, failure_rate: float = 0.05,
    flap_rate: float = 0.02, prefix: str = "sim",
) -> list[Target]:
    """Simulated hosts from a spec like "windows:3,linux:2" (names `sim-win-01`, `sim-lnx-01`, ...)."""
    try:
        groups = parse_spec(spec)
    except ValueError as exc:
        raise AgentError(f"MSP_SIMULATE: {exc}") from None
    targets = []
    for platform, count in groups:
        short = "win" if platform == "windows" else "lnx"
        for i in range(1, count + 1):
            host = f"{prefix}-{short}-{i:02d}"
            sim = SimulatedHost(host, platform, catalog, seed=seed, drift_rate=drift_rate,
                                failure_rate=failure_rate, flap_rate=flap_rate)
            targets.append(Target(host=host, platform=platform, executor=sim, labels={"kind": "simulated"}))
    return targets


def platform_of(target: SealedTarget) -> str:
    """Windows for WinRM ports or a Windows distro, Linux otherwise."""
    distro = (target.distro or "").lower()
    return "windows" if target.port in WINRM_PORTS or distro.startswith("windows") else "linux"


def remember_targets(store: Store, sealed: Iterable[SealedTarget]) -> None:
    """Store the targets a check-in listed (still sealed) and forget ones it no longer lists."""
    sealed = list(sealed)
    listed = {t.host for t in sealed}
    with store.transaction():
        for t in sealed:
            store.put_target(host=t.host, port=t.port, platform=platform_of(t), distro=t.distro,
                             credential_id=t.credential_id, sealed=t.sealed)
        for row in store.targets():
            if row["host"] not in listed:
                store.delete_target(row["host"])


def real_targets(store: Store, keys: ApplianceKeys) -> list[Target]:
    """Executors for the stored targets; a target whose executor is not in this build is skipped (logged)."""
    out = []
    for row in store.targets():
        kind = "winrm" if row["platform"] == "windows" else "ssh"
        try:
            module = importlib.import_module(f"agent.executors.{kind}")
        except ModuleNotFoundError as exc:
            if exc.name != f"agent.executors.{kind}":
                raise
            log.warning("target %s needs the %s executor, which this build lacks; skipped", row["host"], kind)
            continue
        try:
            secret = json.loads(keys.open_sealed(row["sealed"]))
            executor = module.connect(row["host"], row["port"], secret)
        except (AgentError, ValueError) as exc:
            log.error("target %s skipped: %s", row["host"], exc)
            continue
        out.append(Target(host=row["host"], platform=row["platform"], executor=executor,
                          labels={"kind": kind, "credential_id": row["credential_id"] or ""}))
    return out

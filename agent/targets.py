"""The hosts an appliance looks after: simulated ones from settings, real ones from check-in.

Real targets arrive with check-in as credentials sealed to this appliance's box key; they are
stored sealed and opened only when an executor is built, by `agent.executors.factory.executor_for`
(SSH pins host keys in `state_dir/known_hosts`; WinRM takes the `MSP_WINRM_*` settings). Executors
connect lazily, on first `run`: building one contacts nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

from agent.errors import AgentError
from agent.executors.base import Target
from agent.executors.factory import KIND, TargetConfig, executor_for
from agent.executors.simulated import SimulatedHost, parse_spec
from agent.keys import ApplianceKeys
from agent.settings import AgentSettings
from agent.store import Store
from contracts.api import SealedTarget
from contracts.runbooks import RunbookCatalog

log = logging.getLogger(__name__)
WINRM_PORTS = (5985, 5986)
_EXECUTOR_LIBRARIES = ("paramiko", "winrm")


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


def real_targets(store: Store, keys: ApplianceKeys, settings: AgentSettings) -> list[Target]:
    """Executors for the stored targets; one that cannot be built (bad credential, refused option) is skipped, logged."""
    out = []
    for row in store.targets():
        kind = KIND.get(row["platform"], row["platform"])
        try:
            secret = json.loads(keys.open_sealed(row["sealed"]))
            if not isinstance(secret, dict):
                raise ValueError("the opened credential is not a JSON object")
            executor = executor_for(TargetConfig.from_row(row, secret), settings)
        except ModuleNotFoundError as exc:
            if exc.name not in (f"agent.executors.{kind}", *_EXECUTOR_LIBRARIES):
                raise
            # A slimmed build may leave out an executor or its library: skip it, keep healing the rest.
            log.warning("target %s needs the %s executor, whose library (%s) this build lacks; skipped",
                        row["host"], kind, exc.name)
            continue
        except (AgentError, ValueError) as exc:
            log.error("target %s skipped: %s", row["host"], exc)
            continue
        out.append(Target(host=row["host"], platform=row["platform"], executor=executor,
                          labels={"kind": kind, "credential_id": row["credential_id"] or ""}))
    return out

"""Platform -> executor: Windows hosts get WinRM, Linux hosts SSH, simulated hosts a SimulatedHost.

The platform is the one the runbook catalog uses (`Runbook.platform`), so the scripts a target is
sent always match the shell that runs them. Executors connect lazily: building one contacts nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from agent.errors import SettingsError
from agent.executors.base import Executor, Target

PLATFORMS = ("windows", "linux", "simulated")
KIND = {"windows": "winrm", "linux": "ssh", "simulated": "simulated"}


@dataclass(frozen=True)
class TargetConfig:
    """How to reach one host: its platform, port, opened secret and executor options."""

    host: str
    platform: str
    port: int | None = None
    secret: Mapping[str, Any] = field(default_factory=dict, repr=False)
    sim_platform: str = "linux"  # the OS a simulated host plays
    options: Mapping[str, Any] = field(default_factory=dict)  # keyword options of the executor class

    @classmethod
    def from_row(cls, row: Mapping[str, Any], secret: Mapping[str, Any]) -> TargetConfig:
        """From a stored target row (`Store.targets()`) and its opened credential."""
        return cls(host=row["host"], platform=row["platform"], port=row["port"], secret=secret)


def _settings_options(settings: Any, kind: str) -> dict[str, Any]:
    """Executor options the agent settings carry (each optional, so older settings still work)."""
    out: dict[str, Any] = {}
    if kind == "ssh":
        out["known_hosts"] = settings.state_dir / "known_hosts"
    else:
        for name, key in (("winrm_transport", "transport"), ("winrm_allow_http", "allow_http"),
                          ("winrm_ca_bundle", "ca_trust_path"), ("winrm_retries", "retries")):
            value = getattr(settings, name, None)
            if value is not None:
                out[key] = str(value) if key == "ca_trust_path" else value
    return out


def executor_for(config: TargetConfig, settings: Any) -> Executor:
    """The executor for a target's platform; raises SettingsError on an unknown platform."""
    if config.platform not in PLATFORMS:
        raise SettingsError(f"target {config.host}: unknown platform {config.platform!r} "
                            f"(expected one of {', '.join(PLATFORMS)})")
    kind = KIND[config.platform]
    if kind == "simulated":
        from agent.executors.simulated import SimulatedHost
        from agent.runbooks import catalog

        return SimulatedHost(config.host, config.sim_platform, catalog(), seed=settings.sim_seed,
                             drift_rate=settings.sim_drift_rate, failure_rate=settings.sim_failure_rate,
                             flap_rate=settings.sim_flap_rate)
    options = {**_settings_options(settings, kind), **config.options}
    if kind == "ssh":
        from agent.executors import ssh

        return ssh.connect(config.host, config.port or 22, config.secret, **options)
    from agent.executors import winrm

    return winrm.connect(config.host, config.port or 5986, config.secret, **options)


def target_for(config: TargetConfig, settings: Any) -> Target:
    """A Target whose platform selects the runbooks its executor can run."""
    platform = config.sim_platform if config.platform == "simulated" else config.platform
    labels = {"kind": KIND.get(config.platform, config.platform)}
    return Target(host=config.host, platform=platform, executor=executor_for(config, settings), labels=labels)

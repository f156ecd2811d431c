"""One handler per order type of `contracts.orders.ORDER_TYPES`; each returns (status, detail).

Params reach a handler already verified against the type's allowlist. A type the appliance cannot
serve answers "unsupported" with the reason, never "completed".
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.agent import Agent

Handler = Callable[["Agent", dict[str, Any]], tuple[str, str]]
MAX_DOWNLOAD_BYTES = 4 * 1024**3


def _is_nixos() -> bool:
    return Path("/etc/NIXOS").exists() and shutil.which("nixos-rebuild") is not None


def force_checkin(agent: Agent, params: dict) -> tuple[str, str]:
    """Check in again at the end of this cycle."""
    agent.flags.checkin_again = True
    return "completed", "check-in again at the end of this cycle"


def run_drift(agent: Agent, params: dict) -> tuple[str, str]:
    """Run the given drift checks (all when none are named) in this cycle."""
    known = set(agent.catalog.check_types())
    wanted = params.get("check_types") or sorted(known)
    unknown = sorted(set(wanted) - known)
    if unknown:
        return "failed", f"unknown check types {unknown}"
    agent.flags.drift_types = set(wanted)
    return "completed", f"{len(wanted)} check types run in this cycle"


def sync_rules(agent: Agent, params: dict) -> tuple[str, str]:
    """Fetch the rules bundle now, even if the advertised digest looks unchanged."""
    agent.flags.force_sync = True
    return "completed", f"bundle sync forced (holding v{agent.rules.version})"


def restart_agent(agent: Agent, params: dict) -> tuple[str, str]:
    """Exit after a delay so the service manager starts the agent again."""
    agent.flags.restart_after = float(params.get("delay_seconds", 0))
    return "completed", f"agent restarts in {params.get('delay_seconds', 0)} s (service manager restarts it)"


def nixos_rebuild(agent: Agent, params: dict) -> tuple[str, str]:
    """`nixos-rebuild switch --flake REF` on a NixOS appliance."""
    if not _is_nixos():
        return "unsupported", "this appliance does not run NixOS"
    if agent.settings.dry_run:
        return "completed", f"dry run: would run nixos-rebuild switch --flake {params['flake_ref']}"
    proc = subprocess.run(
        ["nixos-rebuild", "switch", "--flake", params["flake_ref"]], capture_output=True, text=True, timeout=3600,
        check=False,
    )
    status = "completed" if proc.returncode == 0 else "failed"
    return status, (proc.stdout + proc.stderr)[-2000:]


def _download(agent: Agent, params: dict, kind: str) -> tuple[str, str]:
    import httpx

    updates = agent.settings.state_dir / "updates"
    updates.mkdir(parents=True, exist_ok=True)
    name = f"{kind}-{params.get('version') or params['sha256'][:12]}"
    partial, final = updates / (name + ".part"), updates / name
    digest, size = hashlib.sha256(), 0
    verify: Any = agent.settings.tls_verify
    if agent.settings.ca_bundle:
        verify = ssl.create_default_context(cafile=str(agent.settings.ca_bundle))
    try:
        with httpx.stream("GET", params["url"], timeout=agent.settings.http_timeout, verify=verify,
                          follow_redirects=False) as response:
            if response.status_code != 200:
                return "failed", f"download answered HTTP {response.status_code}"
            with open(partial, "wb") as fh:
                for chunk in response.iter_bytes(1 << 16):
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        return "failed", f"download larger than {MAX_DOWNLOAD_BYTES} bytes"
                    digest.update(chunk)
                    fh.write(chunk)
    except httpx.HTTPError as exc:
        partial.unlink(missing_ok=True)
        return "failed", f"download failed: {type(exc).__name__}: {exc}"
    if digest.hexdigest() != params["sha256"]:
        partial.unlink(missing_ok=True)
        return "failed", f"sha256 mismatch: got {digest.hexdigest()}, order pinned {params['sha256']}"
    os.replace(partial, final)
    agent.store.put_json(f"pending_{kind}", {"path": str(final), "version": params.get("version"),
                                               "sha256": params["sha256"]})
    return "completed", f"{kind} {params.get('version') or ''} staged at {final} ({size} bytes, sha256 verified)"


def update_agent(agent: Agent, params: dict) -> tuple[str, str]:
    """Download a new agent build over HTTPS, verify its SHA-256 and stage it for the supervisor."""
    return _download(agent, params, "agent")


def update_iso(agent: Agent, params: dict) -> tuple[str, str]:
    """Stage a new appliance image; only image-booted (NixOS) appliances can use one."""
    if not _is_nixos():
        return "unsupported", "this appliance does not boot from an Osiris image"
    return _download(agent, params, "iso")


def view_logs(agent: Agent, params: dict) -> tuple[str, str]:
    """The last lines of the agent log, PHI scrubbed."""
    from contracts.phi import scrub

    path = agent.settings.effective_log_file
    if not path.exists():
        return "failed", f"no log file at {path}"
    with open(path, "rb") as fh:
        fh.seek(0, os.SEEK_END)
        fh.seek(max(0, fh.tell() - 1_000_000))
        lines = fh.read().decode("utf-8", "replace").splitlines()[-int(params.get("lines", 200)):]
    return "completed", scrub("\n".join(lines)).text


def diagnostic(agent: Agent, params: dict) -> tuple[str, str]:
    """A JSON report on the appliance: disk, network reachability, services."""
    kind = params.get("kind", "all")
    report: dict[str, Any] = {"kind": kind, "agent_version": agent.settings.agent_version,
                              "python": platform.python_version(), "platform": platform.platform()}
    if kind in ("disk", "all"):
        usage = shutil.disk_usage(agent.settings.state_dir)
        report["disk"] = {"free_bytes": usage.free, "total_bytes": usage.total,
                          "db_bytes": agent.settings.db_path.stat().st_size if agent.settings.db_path.exists() else 0}
    if kind in ("network", "all"):
        report["network"] = {"central": agent.settings.mcp_url, "last_checkin": agent.store.get("last_checkin_at"),
                             "outbox": agent.outbox.status()}
    if kind in ("services", "all"):
        report["services"] = {"targets": len(agent.targets), "bundle_version": agent.rules.version,
                              "open_incidents": agent.store.open_incident_count(), "dry_run": agent.settings.dry_run}
    return "completed", json.dumps(report, default=str)


def _no_sensor(agent: Agent, params: dict) -> tuple[str, str]:
    return "unsupported", "this agent build ships no sensor package"


def sensor_status(agent: Agent, params: dict) -> tuple[str, str]:
    """The sensors this appliance has deployed (none in this build)."""
    return "completed", json.dumps({"sensors": []})


def update_credentials(agent: Agent, params: dict) -> tuple[str, str]:
    """Sealed credentials arrive with check-in: check in again this cycle to fetch them."""
    agent.flags.checkin_again = True
    return "completed", f"credential {params['credential_id']} fetched at the next check-in"


def execute_runbook(agent: Agent, params: dict) -> tuple[str, str]:
    """Run one catalog runbook on one known target, with closed-loop verification."""
    from contracts.errors import RunbookError

    target = next((t for t in agent.targets if t.host == params["target"]), None)
    if target is None:
        return "failed", f"unknown target {params['target']}"
    try:
        runbook, checked = agent.catalog.guard(params["runbook_id"], target.platform, params.get("params") or {})
    except RunbookError as exc:
        return "failed", str(exc)
    check_runbook = agent.catalog.for_check(runbook.check_type, target.platform) or runbook
    result = agent.healer.heal(target, runbook, checked, check_runbook=check_runbook, site_id=agent.site_id,
                               appliance_id=agent.appliance_id)
    detail = json.dumps({"outcome": result.status.value, "error": result.error, "refused": result.refused,
                         "after": result.after}, default=str)
    return ("completed" if result.status.value in ("healed", "planned") else "failed"), detail


def sync_promoted_rule(agent: Agent, params: dict) -> tuple[str, str]:
    """Install one promoted L1 rule until a bundle carries it."""
    agent.rules.add_promoted(params["rule"])
    return "completed", f"rule {params['rule']['id']} installed ahead of the next bundle"


HANDLERS: dict[str, Handler] = {
    "force_checkin": force_checkin,
    "run_drift": run_drift,
    "sync_rules": sync_rules,
    "restart_agent": restart_agent,
    "nixos_rebuild": nixos_rebuild,
    "update_agent": update_agent,
    "update_iso": update_iso,
    "view_logs": view_logs,
    "diagnostic": diagnostic,
    "deploy_sensor": _no_sensor,
    "remove_sensor": _no_sensor,
    "deploy_linux_sensor": _no_sensor,
    "remove_linux_sensor": _no_sensor,
    "sensor_status": sensor_status,
    "update_credentials": update_credentials,
    "execute_runbook": execute_runbook,
    "sync_promoted_rule": sync_promoted_rule,
}

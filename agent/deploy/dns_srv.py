"""Register this appliance's `_osiris-grpc._tcp` SRV record in an AD-integrated DNS zone.

Idempotent: the record for this appliance's host name is left alone when it already says the same
port, priority and weight; otherwise this appliance's old records are replaced. Records other
appliances registered under the same name stay, so several appliances can serve one site.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agent.deploy._ps import DNS_NAME, check, ps_literal, run_step
from agent.errors import DeployError
from agent.executors.base import Executor

SRV_NAME = "_osiris-grpc._tcp"

_SCRIPT = """\
# osiris:deploy dns_srv
$ErrorActionPreference = 'Stop'
Import-Module DnsServer
$zone = {zone}
$name = {name}
$target = {target}
$port = {port}
$priority = {priority}
$weight = {weight}
$ttl = [TimeSpan]::FromSeconds({ttl})
$existing = @(Get-DnsServerResourceRecord -ZoneName $zone -Name $name -RRType Srv -ErrorAction SilentlyContinue)
$mine = @($existing | Where-Object {{ $_.RecordData.DomainName.TrimEnd('.') -ieq $target.TrimEnd('.') }})
$same = @($mine | Where-Object {{ $_.RecordData.Port -eq $port -and $_.RecordData.Priority -eq $priority -and
    $_.RecordData.Weight -eq $weight }})
if ($mine.Count -eq 1 -and $same.Count -eq 1) {{
    $action = 'unchanged'
}} else {{
    foreach ($old in $mine) {{ Remove-DnsServerResourceRecord -ZoneName $zone -InputObject $old -Force }}
    Add-DnsServerResourceRecord -Srv -ZoneName $zone -Name $name -DomainName $target -Port $port `
        -Priority $priority -Weight $weight -TimeToLive $ttl
    $action = if ($mine.Count -gt 0) {{ 'updated' }} else {{ 'created' }}
}}
[pscustomobject]@{{ status = 'ok'; action = $action; record = "$name.$zone"; target = $target; port = $port;
    others = $existing.Count - $mine.Count }} | ConvertTo-Json -Compress
"""


@dataclass(frozen=True)
class SrvRecord:
    """`_osiris-grpc._tcp.<zone>` -> this appliance's host name and gRPC port."""

    zone: str
    target: str
    port: int = 50051
    priority: int = 0
    weight: int = 100
    ttl: int = 3600

    def __post_init__(self) -> None:
        check(DNS_NAME, self.zone, "DNS zone")
        check(DNS_NAME, self.target.rstrip("."), "SRV target host name")
        for name, value, high in (("port", self.port, 65535), ("priority", self.priority, 65535),
                                  ("weight", self.weight, 65535), ("ttl", self.ttl, 2_147_483_647)):
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= high:
                raise DeployError(f"SRV {name} {value!r} is not an integer in 0..{high}")
        if self.port == 0:
            raise DeployError("SRV port 0 is not a service port")


def srv_script(record: SrvRecord) -> str:
    """The PowerShell that registers the record (values bound as quoted literals)."""
    return _SCRIPT.format(
        zone=ps_literal(record.zone), name=ps_literal(SRV_NAME), target=ps_literal(record.target.rstrip(".") + "."),
        port=record.port, priority=record.priority, weight=record.weight, ttl=record.ttl,
    )


def register_srv(executor: Executor, record: SrvRecord, *, timeout: float = 120.0) -> dict[str, Any]:
    """Run the registration on a domain controller; returns its answer (`action`: created/updated/unchanged)."""
    return run_step(executor, srv_script(record), "SRV record registration", timeout)

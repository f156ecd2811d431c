"""Publish the agent to domain computers through a GPO whose computer startup script installs it.

Two scripts. The startup script runs as SYSTEM at every boot of every computer the GPO applies
to: it exits at once when the wanted version is installed, otherwise copies the package from a
share, checks its SHA-256 and installs it quietly. The publishing script runs once on a domain
controller: it creates the GPO if missing, writes the startup script and `psscripts.ini` into
SYSVOL only when they differ, registers the PowerShell-scripts extension, bumps the GPO version
only on a change (so clients re-read it) and links the GPO once. Repeating it changes nothing.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from agent.deploy._ps import DNS_NAME, SHA256, check, ps_literal, run_step
from agent.deploy.dns_srv import SRV_NAME
from agent.executors.base import Executor

UNC = re.compile(r"^\\\\[A-Za-z0-9.-]+\\[^\\/:*?\"<>|\r\n']+(\\[^\\/:*?\"<>|\r\n']+)+\.msi$")
GPO_NAME = re.compile(r"^[A-Za-z0-9 ._()-]{1,100}$")
VERSION = re.compile(r"^\d{1,5}(\.\d{1,5}){1,3}$")
DN = re.compile(r"^((OU|DC|CN)=[^,=\r\n']+,)*DC=[^,=\r\n']+$", re.IGNORECASE)
SCRIPT_FILE = "osiris-agent.ps1"
PS_SCRIPTS_CSE = "[{42B5FAAE-6536-11D2-AE5A-0000F87571E3}{40B6664F-4972-11D1-A7CA-0000F87571E3}]"
"""The client-side extension pair that makes computers run PowerShell startup scripts."""

_STARTUP = """\
# Osiris agent install: GPO computer startup script, written by Osiris. Do not edit: it is replaced.
$ErrorActionPreference = 'Stop'
$want = {version}
$key = 'HKLM:\\SOFTWARE\\Osiris\\Agent'
$have = (Get-ItemProperty -Path $key -Name Version -ErrorAction SilentlyContinue).Version
if ($have -eq $want) {{ exit 0 }}
$local = Join-Path $env:windir 'Temp\\osiris-agent.msi'
$log = Join-Path $env:windir 'Temp\\osiris-agent-install.log'
Copy-Item -LiteralPath {package} -Destination $local -Force
$hash = (Get-FileHash -LiteralPath $local -Algorithm SHA256).Hash
if ($hash -ne {sha256}) {{ Remove-Item -LiteralPath $local -Force; throw "osiris: package hash $hash is not the published one" }}
$msiArgs = @('/i', ('"' + $local + '"'), '/qn', '/norestart', ('/l*v "' + $log + '"'), ('OSIRIS_SRV=' + {srv}))
$proc = Start-Process -FilePath msiexec.exe -ArgumentList $msiArgs -Wait -PassThru
Remove-Item -LiteralPath $local -Force -ErrorAction SilentlyContinue
if ($proc.ExitCode -ne 0 -and $proc.ExitCode -ne 3010) {{ throw "osiris: msiexec exit $($proc.ExitCode), see $log" }}
New-Item -Path $key -Force | Out-Null
Set-ItemProperty -Path $key -Name Version -Value $want
"""

_PUBLISH = """\
# osiris:deploy gpo_startup
$ErrorActionPreference = 'Stop'
Import-Module GroupPolicy
$name = {name}
$domain = {domain}
$target = {link}
if (-not $target) {{ $target = ([ADSI]'LDAP://RootDSE').defaultNamingContext.Value }}
$script = [Text.Encoding]::UTF8.GetString([Convert]::FromBase64String({script_b64}))
$cse = {cse}
$gpo = Get-GPO -Name $name -Domain $domain -ErrorAction SilentlyContinue
$created = -not $gpo
if ($created) {{ $gpo = New-GPO -Name $name -Domain $domain -Comment 'Osiris agent deployment (managed by Osiris)' }}
$policy = "\\\\$domain\\SYSVOL\\$domain\\Policies\\{{$($gpo.Id)}}"
$scripts = Join-Path $policy 'Machine\\Scripts'
$startup = Join-Path $scripts 'Startup'
New-Item -ItemType Directory -Path $startup -Force | Out-Null
$changed = $false
$file = Join-Path $startup {script_file}
$current = if (Test-Path -LiteralPath $file) {{ [IO.File]::ReadAllText($file) }} else {{ $null }}
if ($current -ne $script) {{
    [IO.File]::WriteAllText($file, $script, (New-Object Text.UTF8Encoding $true)); $changed = $true
}}
$ini = Join-Path $scripts 'psscripts.ini'
$iniText = "`r`n[Startup]`r`n0CmdLine={script_file_bare}`r`n0Parameters=`r`n"
$currentIni = if (Test-Path -LiteralPath $ini) {{ [IO.File]::ReadAllText($ini, [Text.Encoding]::Unicode) }} else {{ $null }}
if ($currentIni -ne $iniText) {{
    if (Test-Path -LiteralPath $ini) {{ (Get-Item -LiteralPath $ini -Force).Attributes = 'Normal' }}
    [IO.File]::WriteAllText($ini, $iniText, [Text.Encoding]::Unicode)
    (Get-Item -LiteralPath $ini -Force).Attributes = 'Hidden'; $changed = $true
}}
$ad = [ADSI]"LDAP://$($gpo.Path)"
$blocks = @([regex]::Matches([string]$ad.gPCMachineExtensionNames.Value, '\\[[^\\]]*\\]') | ForEach-Object {{ $_.Value }})
if ($blocks -notcontains $cse) {{
    $ad.Put('gPCMachineExtensionNames', ((@($blocks) + $cse | Sort-Object) -join '')); $ad.SetInfo(); $changed = $true
}}
if ($changed) {{
    # Computers re-apply a GPO only when its version moves; the machine half is the low 16 bits.
    $version = [int]$ad.versionNumber.Value + 1
    $ad.Put('versionNumber', $version); $ad.SetInfo()
    $gpt = Join-Path $policy 'GPT.INI'
    (Get-Content -LiteralPath $gpt) -replace '^Version=.*', "Version=$version" | Set-Content -LiteralPath $gpt -Encoding Ascii
}}
$linked = @((Get-GPInheritance -Target $target -Domain $domain).GpoLinks | Where-Object {{ $_.GpoId -eq $gpo.Id }})
if ($linked.Count -eq 0) {{ New-GPLink -Guid $gpo.Id -Target $target -Domain $domain -LinkEnabled Yes | Out-Null; $changed = $true }}
$action = if ($created) {{ 'created' }} elseif ($changed) {{ 'updated' }} else {{ 'unchanged' }}
[pscustomobject]@{{ status = 'ok'; action = $action; gpo_id = "$($gpo.Id)"; linked_to = $target }} | ConvertTo-Json -Compress
"""


@dataclass(frozen=True)
class GpoDeployment:
    """What to publish, where the package is, and where the GPO is linked (default: the domain root)."""

    domain: str
    package_unc: str
    package_sha256: str
    version: str
    gpo_name: str = "Osiris Agent"
    link_target: str = ""  # an OU's distinguished name; empty links the GPO at the domain root

    def __post_init__(self) -> None:
        check(DNS_NAME, self.domain, "domain")
        check(UNC, self.package_unc, "package UNC path (\\\\server\\share\\...\\file.msi)")
        check(SHA256, self.package_sha256, "package SHA-256")
        check(VERSION, self.version, "agent version")
        check(GPO_NAME, self.gpo_name, "GPO name")
        if self.link_target:
            check(DN, self.link_target, "link target distinguished name")


def startup_script(dep: GpoDeployment) -> str:
    """The computer startup script the GPO runs (idempotent: a no-op once the version is installed)."""
    return _STARTUP.format(version=ps_literal(dep.version), package=ps_literal(dep.package_unc),
                           sha256=ps_literal(dep.package_sha256.upper()), srv=ps_literal(f"{SRV_NAME}.{dep.domain}"))


def gpo_script(dep: GpoDeployment) -> str:
    """The PowerShell that creates, fills and links the GPO on a domain controller."""
    encoded = base64.b64encode(startup_script(dep).encode("utf-8")).decode("ascii")
    return _PUBLISH.format(
        name=ps_literal(dep.gpo_name), domain=ps_literal(dep.domain), link=ps_literal(dep.link_target),
        script_b64=ps_literal(encoded), cse=ps_literal(PS_SCRIPTS_CSE), script_file=ps_literal(SCRIPT_FILE),
        script_file_bare=SCRIPT_FILE,
    )


def publish_gpo(executor: Executor, dep: GpoDeployment, *, timeout: float = 300.0) -> dict[str, Any]:
    """Run the publishing script on a domain controller; returns its answer (`action`, `gpo_id`, ...)."""
    return run_step(executor, gpo_script(dep), "GPO publication", timeout)

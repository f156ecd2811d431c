"""A pretend domain controller behind the test WS-Management server (there is no Windows here).

It answers the two deployment scripts the way their PowerShell would on a DC, from the values the
scripts bind at their top (`$zone = '...'`, the base64 startup script, ...): a DNS zone of SRV
records, and GPOs with their startup script and link. What it proves is the plumbing - the exact
script reaches the host (inline or uploaded in chunks), the values are bound, and the agent reads
the answer - not that the cmdlets behave as Windows' do.
"""

from __future__ import annotations

import base64
import json
import re


def _value(script: str, name: str) -> str:
    match = re.search(rf"^\${name} = (.+)$", script, re.MULTILINE)
    if match is None:
        raise AssertionError(f"${name} is not bound in the script")
    raw = match.group(1).strip()
    return raw[1:-1].replace("''", "'") if raw.startswith("'") else raw


class DomainController:
    """SRV records per zone and GPOs by name; `fail_with` makes the next script fail like PowerShell."""

    def __init__(self):
        self.srv: dict[str, list[tuple[str, int, int, int]]] = {}
        self.gpos: dict[str, dict] = {}
        self.scripts: list[str] = []
        self.fail_with: str | None = None

    def __call__(self, script: str) -> tuple[int, str, str] | None:
        self.scripts.append(script)
        if self.fail_with is not None:
            message, self.fail_with = self.fail_with, None
            return 1, "", message
        if script.startswith("# osiris:deploy dns_srv"):
            return 0, self._dns(script), ""
        if script.startswith("# osiris:deploy gpo_startup"):
            return 0, self._gpo(script), ""
        return None

    def _dns(self, script: str) -> str:
        zone, target = _value(script, "zone"), _value(script, "target")
        want = (target, int(_value(script, "port")), int(_value(script, "priority")), int(_value(script, "weight")))
        records = self.srv.setdefault(zone, [])
        mine = [r for r in records if r[0].rstrip(".").lower() == target.rstrip(".").lower()]
        if mine == [want]:
            action = "unchanged"
        else:
            records[:] = [r for r in records if r not in mine] + [want]
            action = "updated" if mine else "created"
        return json.dumps({"status": "ok", "action": action, "record": f"_osiris-grpc._tcp.{zone}",
                           "target": target, "port": want[1], "others": len(records) - 1}) + "\n"

    def _gpo(self, script: str) -> str:
        name = _value(script, "name")
        startup = base64.b64decode(re.search(r"FromBase64String\('([^']+)'\)", script).group(1)).decode()
        gpo = self.gpos.get(name)
        if gpo is None:
            gpo = self.gpos[name] = {"id": f"{len(self.gpos) + 1:08d}-0000-0000-0000-000000000000", "startup": startup,
                                     "version": 1, "link": _value(script, "target") or "DC=clinic,DC=local"}
            action = "created"
        elif gpo["startup"] != startup:
            gpo.update(startup=startup, version=gpo["version"] + 1)
            action = "updated"
        else:
            action = "unchanged"
        return json.dumps({"status": "ok", "action": action, "gpo_id": gpo["id"], "linked_to": gpo["link"]}) + "\n"

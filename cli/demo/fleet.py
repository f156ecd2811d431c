"""A seeded, realistic fleet for the demo: offices, their devices and the software they run.

Pure: the same seed gives the same fleet. Software comes from real products in the NVD records
(some devices patched, most not), so the CVE exposure the reports show is NVD's own verdict.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

OFFICE_KINDS = ("Family Practice", "Pediatrics", "Dental", "Dermatology", "Physical Therapy", "Cardiology",
                "Orthopedics", "Optometry", "Women's Health", "Urgent Care", "Behavioral Health", "ENT")
TOWNS = ("Riverside", "Oak Hill", "Lakeview", "Fairmont", "Cedar Falls", "Brookfield", "Maple Grove",
         "Westbury", "Kingsport", "Ashland", "Pine Ridge", "Harborview", "Glendale", "Sunnyvale")
WINDOWS_ROLES = ("frontdesk", "exam", "billing", "nurse", "dr", "lab", "xray")
LINUX_ROLES = ("ehr-db", "pacs", "fileserver", "web", "backup")

# (cpe, share of devices that run it). Unpatched versions first: most small offices lag behind.
WINDOWS_SOFTWARE = (
    ("cpe:2.3:o:microsoft:windows_10:1607:*:*:*:*:*:x64:*", 0.55),
    ("cpe:2.3:o:microsoft:windows_10:22h2:*:*:*:*:*:x64:*", 0.45),
    ("cpe:2.3:a:google:chrome:49.0.2623.87:*:*:*:*:*:*:*", 0.35),
    ("cpe:2.3:a:google:chrome:120.0.6099.71:*:*:*:*:*:*:*", 0.5),
    ("cpe:2.3:a:mozilla:firefox_esr:45.0:*:*:*:*:*:*:*", 0.2),
    ("cpe:2.3:a:microsoft:office:2016:*:*:*:*:*:*:*", 0.6),
    ("cpe:2.3:a:microsoft:internet_explorer:11:*:*:*:*:*:*:*", 0.3),
)
LINUX_SOFTWARE = (
    ("cpe:2.3:o:canonical:ubuntu_linux:14.04:*:*:*:lts:*:*:*", 0.3),
    ("cpe:2.3:o:canonical:ubuntu_linux:16.04:*:*:*:lts:*:*:*", 0.5),
    ("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", 0.25),
    ("cpe:2.3:a:openssl:openssl:1.0.2g:*:*:*:*:*:*:*", 0.45),
    ("cpe:2.3:a:openbsd:openssh:6.6:*:*:*:*:*:*:*", 0.35),
    ("cpe:2.3:a:openbsd:openssh:7.2:p1:*:*:*:*:*:*", 0.45),
    ("cpe:2.3:a:apache:http_server:2.4.18:*:*:*:*:*:*:*", 0.4),
)
# Ports a device of each role listens on (nmap's view); the network checks judge them.
ROLE_PORTS = {
    "frontdesk": (135, 445, 3389), "exam": (135, 445), "billing": (135, 445, 3389), "nurse": (135, 445),
    "dr": (135, 445, 5900), "lab": (135, 445, 21), "xray": (135, 445, 104),
    "ehr-db": (22, 5432), "pacs": (22, 104, 80), "fileserver": (22, 445), "web": (22, 80, 443),
    "backup": (22, 873),
}


@dataclass(frozen=True)
class Device:
    """One computer in an office."""

    host: str
    platform: str
    role: str
    ip: str
    software: tuple[str, ...]
    ports: tuple[int, ...]


@dataclass
class Office:
    """One medical office (a site) with its devices."""

    name: str
    devices: list[Device] = field(default_factory=list)

    def count(self, platform: str) -> int:
        """How many devices of one platform."""
        return sum(d.platform == platform for d in self.devices)


def make_fleet(sites: int, devices: int, seed: int) -> list[Office]:
    """`sites` offices sharing about `devices` devices (60% Windows), reproducible from `seed`."""
    rng = random.Random(f"fleet:{seed}")
    offices: list[Office] = []
    per_site = max(2, round(devices / max(sites, 1)))
    for s in range(sites):
        name = f"{TOWNS[s % len(TOWNS)]} {OFFICE_KINDS[(s * 5 + seed) % len(OFFICE_KINDS)]}"
        if s >= len(TOWNS):
            name += f" {s // len(TOWNS) + 1}"
        size = max(2, per_site + rng.randint(-per_site // 5, per_site // 5))
        n_linux = max(1, round(size * 0.4))
        office = Office(name)
        for i in range(size):
            platform = "linux" if i < n_linux else "windows"
            roles = LINUX_ROLES if platform == "linux" else WINDOWS_ROLES
            role = roles[i % len(roles)]
            host = f"{role}-{i + 1:02d}.site{s + 1:02d}.clinic.lan"
            software = WINDOWS_SOFTWARE if platform == "windows" else LINUX_SOFTWARE
            chosen = _choose_software(software, rng)
            ip = f"10.{s + 1}.{i // 250}.{i % 250 + 2}"
            office.devices.append(Device(host, platform, role, ip, chosen, ROLE_PORTS[role]))
        offices.append(office)
    return offices


def _choose_software(catalog: tuple[tuple[str, float], ...], rng: random.Random) -> tuple[str, ...]:
    picked: list[str] = []
    seen_products: set[str] = set()
    for cpe, share in catalog:
        product = ":".join(cpe.split(":")[3:5])
        if product in seen_products or rng.random() >= share:
            continue
        seen_products.add(product)
        picked.append(cpe)
    return tuple(picked)

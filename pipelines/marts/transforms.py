"""Pure logic of the marts: CVE matching per device, which open ports serve a vulnerable product,
and which HIPAA crosswalk element a check's citation names. Plain rows in, plain rows out."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from warehouse.cpe import parse_cpe
from warehouse.cve_match import CveIndex
from warehouse.errors import CpeParseError

_SEP = "\x1f"  # joins site and host into one matcher device id; appears in neither

# (vendor, product glob) -> lower-case substrings of nmap's product name for that software, where
# nmap's name differs from the CPE's (nmap says "Apache httpd" for apache:http_server).
PRODUCT_NAMES: dict[tuple[str, str], tuple[str, ...]] = {
    ("apache", "http_server"): ("apache httpd",),
    ("apache", "tomcat"): ("apache tomcat",),
    ("microsoft", "internet_information_services*"): ("microsoft iis",),
    ("microsoft", "iis"): ("microsoft iis",),
    ("microsoft", "exchange_server"): ("microsoft exchange",),
    ("microsoft", "sql_server*"): ("microsoft sql server",),
    ("microsoft", "windows*"): ("microsoft windows", "microsoft httpapi", "microsoft terminal services",
                                "microsoft-ds"),
    ("openbsd", "openssh"): ("openssh",),
    ("isc", "bind"): ("isc bind",),
    ("samba", "samba"): ("samba smbd",),
    ("cisco", "*"): ("cisco",),
    ("fortinet", "*"): ("fortinet", "fortigate", "fortios"),
    ("vmware", "esxi"): ("vmware esxi", "vmware authentication daemon"),
    ("progress", "moveit_transfer"): ("moveit",),
}
TLS_SERVICES = frozenset({"https", "ssl", "imaps", "pop3s", "smtps", "ldaps", "ftps", "submissions"})
# Libraries and operating systems hold no port of their own: the services that carry their code.
CARRIERS: dict[tuple[str, str], frozenset[str]] = {
    ("openssl", "openssl"): TLS_SERVICES,
    ("gnu", "gnutls"): TLS_SERVICES,
    ("microsoft", "windows*"): frozenset({"microsoft-ds", "msrpc", "netbios-ssn", "ms-wbt-server"}),
}


def device_id(site_id: str, host: str) -> str:
    """One matcher device id for a (site, host) pair."""
    return f"{site_id}{_SEP}{host}"


def split_device_id(value: str) -> tuple[str, str]:
    """The (site, host) pair back from `device_id`."""
    site, _, host = value.partition(_SEP)
    return site, host


def match_devices(inventory: pl.DataFrame, cpe_matches: Iterable[Mapping[str, Any]],
                  scores: Mapping[str, float | None] | None = None) -> pl.DataFrame:
    """Every (site, host, CVE, installed CPE) NVD's configurations make vulnerable, as a frame.

    `inventory` has `site_id`, `host`, `cpe` columns; a CPE that does not parse is skipped (a device
    reported it, we did not type it) rather than failing the whole mart.
    """
    valid = [c for c in inventory["cpe"].unique().to_list() if _parses(c)]
    rows = inventory.filter(pl.col("cpe").is_in(valid))
    ids = rows.select(pl.concat_str([pl.col("site_id"), pl.col("host")], separator=_SEP)).to_series().to_list()
    table = CveIndex(cpe_matches, scores).match_table(zip(ids, rows["cpe"].to_list(), strict=True))
    matches = pl.from_arrow(table)
    return (matches.with_columns(pl.col("device_id").str.splitn(_SEP, 2)
                                 .struct.rename_fields(["site_id", "host"]).alias("_device"))
            .unnest("_device")
            .select("site_id", "host", "cve_id", "cpe"))


def _parses(cpe: str) -> bool:
    try:
        parse_cpe(cpe)
    except CpeParseError:
        return False
    return True


def _lookup(table: Mapping[tuple[str, str], Any], vendor: str, product: str) -> Any:
    for (v, p), value in table.items():
        if v == vendor and fnmatch.fnmatchcase(product, p):
            return value
    return None


def serves(cpe: str, port: Mapping[str, Any]) -> bool:
    """True when an open port (nmap's service and product) runs the software a CPE names."""
    try:
        parsed = parse_cpe(cpe)
    except CpeParseError:
        return False
    service = (port.get("service") or "").lower()
    product = (port.get("product") or "").lower()
    carriers = _lookup(CARRIERS, parsed.vendor, parsed.product)
    if carriers and (service in carriers or service.startswith("ssl/") and carriers is TLS_SERVICES):
        return True
    names = _lookup(PRODUCT_NAMES, parsed.vendor, parsed.product)
    if names:
        return any(name in product for name in names)
    # Otherwise nmap usually names the product as NVD does ("nginx", "vsftpd", "Apache Tomcat").
    plain = parsed.product.replace("\\", "").replace("_", " ")
    if len(plain) < 3:
        return False
    return plain == service or re.search(rf"(^|\W){re.escape(plain)}(\W|$)", product) is not None


def service_rows(cpes: Iterable[str], ports: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """For every distinct CPE × distinct port signature, the pairs where the port serves the CPE."""
    signatures = {(p.get("port"), p.get("proto") or "tcp", p.get("service") or "", p.get("product") or "")
                  for p in ports}
    out = []
    for cpe in sorted(set(cpes)):
        for port, proto, service, product in sorted(signatures, key=str):
            if serves(cpe, {"service": service, "product": product}):
                out.append({"cpe": cpe, "port": port, "proto": proto, "service": service, "product": product})
    return out


def resolve_citation(citation: str, elements: set[str]) -> str | None:
    """The crosswalk element a HIPAA citation falls under: itself, else its nearest listed parent.

    NIST's crosswalk is coarser in places (`164.312(a)` for the standard `164.312(a)(1)`).
    """
    text = citation.strip().replace(" ", "")
    text = text.removeprefix("§").removeprefix("45CFR")
    while text:
        if text in elements:
            return text
        if "(" not in text:
            return None
        text = text[: text.rindex("(")]
    return None


def citation_rows(pairs: Iterable[tuple[str, str]], elements: set[str]) -> tuple[list[dict[str, str]], list[str]]:
    """`(check_type, citation)` pairs as `(check_type, hipaa_element)` rows, and the citations no
    crosswalk element covers."""
    rows, unresolved = set(), set()
    for check_type, citation in pairs:
        element = resolve_citation(citation, elements)
        if element is None:
            unresolved.add(citation)
        else:
            rows.add((check_type, element))
    return [{"check_type": c, "hipaa_element": e} for c, e in sorted(rows)], sorted(unresolved)

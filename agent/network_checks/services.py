"""What kind of service an open port is: by nmap's service name first, by well-known port otherwise.

With `-sV` nmap names services by what they answer (telnet on port 40123 is still telnet); without
it, only the port number is known, so both are consulted.
"""

from __future__ import annotations

from agent.scanner.models import PortFinding

CLEARTEXT_REMOTE = {"telnet": "telnet", "login": "rlogin", "shell": "rsh", "exec": "rexec", "ftp": "ftp",
                    "tftp": "tftp"}
_CLEARTEXT_PORTS = {("tcp", 23): "telnet", ("tcp", 513): "rlogin", ("tcp", 514): "rsh", ("tcp", 512): "rexec",
                    ("tcp", 21): "ftp", ("udp", 69): "tftp"}
_WEB_PORTS = {80, 8000, 8008, 8080, 8888}
_TLS_WEB_PORTS = {443, 8443}
SMB_NAMES = {"microsoft-ds", "netbios-ssn", "smb"}
_SMB_PORTS = {139, 445}
RDP_NAMES = {"ms-wbt-server", "rdp"}
DATABASE_NAMES = {"ms-sql-s", "ms-sql-m", "oracle-tns", "oracle", "mysql", "postgresql", "mongodb", "mongod",
                  "redis", "couchdb", "memcached", "elasticsearch", "cassandra", "db2", "sybase", "cockroachdb"}
_DATABASE_PORTS = {1433, 1521, 3306, 5432, 27017, 6379, 5984, 11211, 9200, 9042, 50000}
CONSOLE_NAMES = {"vnc", "vnc-http", "x11", "docker"}
_CONSOLE_PORTS = set(range(5900, 5911)) | {5800, 2375} | set(range(6000, 6006))


def _name(p: PortFinding) -> str:
    """nmap's service name, lower-cased; "" when nmap had none (then the port number decides)."""
    name = p.service.lower()
    return "" if name in ("", "unknown", "tcpwrapped") else name


def cleartext_remote(p: PortFinding) -> str | None:
    """telnet, rlogin, rsh, rexec, ftp or tftp when the port is one of those in clear; else None."""
    if p.tunnel == "ssl":
        return None  # ftps and telnet-over-TLS are encrypted
    if _name(p):
        return CLEARTEXT_REMOTE.get(_name(p))
    return _CLEARTEXT_PORTS.get((p.proto, p.port))


def web(p: PortFinding) -> str | None:
    """"https" or "http" for a web server, else None."""
    name = _name(p)
    is_web = name.startswith("http") or (not name and (p.port in _WEB_PORTS or p.port in _TLS_WEB_PORTS))
    if not is_web or p.proto != "tcp":
        return None
    if p.tunnel == "ssl" or name in ("https", "https-alt") or (not name and p.port in _TLS_WEB_PORTS):
        return "https"
    return "http"


def smb(p: PortFinding) -> bool:
    """True for SMB / NetBIOS session service."""
    return _name(p) in SMB_NAMES if _name(p) else p.port in _SMB_PORTS


def rdp(p: PortFinding) -> bool:
    """True for Remote Desktop."""
    return _name(p) in RDP_NAMES if _name(p) else p.port == 3389


def database(p: PortFinding) -> bool:
    """True for a database server port (SQL Server, Oracle, MySQL, PostgreSQL, MongoDB, Redis, ...)."""
    if _name(p):
        product = p.product.lower()
        return _name(p) in DATABASE_NAMES or "elasticsearch" in product or "couchdb" in product
    return p.port in _DATABASE_PORTS


def console(p: PortFinding) -> bool:
    """True for a remote console that needs no per-user login: VNC, X11, the plain Docker API."""
    if _name(p):
        return _name(p) in CONSOLE_NAMES or (_name(p).startswith("http") and "docker" in p.product.lower())
    return p.port in _CONSOLE_PORTS

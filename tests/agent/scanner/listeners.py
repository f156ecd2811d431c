"""Real listeners on 127.0.0.1 that answer like the services the network checks look for.

Each is a plain socket server on a free high port that sends what the real service sends first
(telnet option negotiation, an FTP "220" greeting, VNC's "RFB 003.008", a MySQL handshake), or a
real HTTP / HTTPS server (http.server, TLS with a throwaway certificate), so nmap's `-sV` names them
from their answers, not from their port numbers.
"""

from __future__ import annotations

import http.server
import socket
import ssl
import threading
from pathlib import Path

BANNERS = {
    "telnet": b"\xff\xfd\x18\xff\xfd\x20\xff\xfd\x23\xff\xfd\x27",
    "ftp": b"220 ProFTPD 1.3.5 Server (Debian) [127.0.0.1]\r\n",
    "vnc": b"RFB 003.008\n",
    "mysql": (b"J\x00\x00\x00\n5.7.33\x00\x08\x00\x00\x00abcdefgh\x00\xff\xf7\x08\x02\x00\xff\x81\x15"
              b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00ijklmnopqrst\x00mysql_native_password\x00"),
}


class _Quiet(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><title>patient portal</title></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


class _QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # nmap's probes are not HTTP: expected
        pass


class Listeners:
    """Open every listener; `ports[name]` is where each answers; `closed_port` answers nothing."""

    def __init__(self, tls: dict[str, Path] | None = None):
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self._httpds: list[http.server.ThreadingHTTPServer] = []
        self.ports = {name: self._banner(data) for name, data in BANNERS.items()}
        self.ports["http"] = self._http(None)
        if tls is not None:  # nmap -sV spends ~18 s on a TLS port (NULL probe outside and inside TLS)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(tls["cert"]), str(tls["key"]))
            self.ports["https"] = self._http(ctx)
        with socket.create_server(("127.0.0.1", 0)) as s:
            self.closed_port = s.getsockname()[1]

    def _banner(self, data: bytes) -> int:
        srv = socket.create_server(("127.0.0.1", 0))
        srv.settimeout(0.2)
        self._socks.append(srv)

        def serve() -> None:
            while not self._stop.is_set():
                try:
                    conn, _ = srv.accept()
                except (TimeoutError, OSError):
                    continue
                threading.Thread(target=self._greet, args=(conn, data), daemon=True).start()

        threading.Thread(target=serve, daemon=True).start()
        return srv.getsockname()[1]

    @staticmethod
    def _greet(conn: socket.socket, data: bytes) -> None:
        with conn:
            try:
                conn.sendall(data)
                conn.settimeout(2)
                while conn.recv(1024):
                    pass
            except OSError:
                pass

    def _http(self, ctx: ssl.SSLContext | None) -> int:
        httpd = _QuietServer(("127.0.0.1", 0), _Quiet)
        httpd.daemon_threads = True
        if ctx is not None:
            # Handshake in the request thread, not in accept(): a silent probe must not stall the others.
            httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        self._httpds.append(httpd)
        return httpd.server_address[1]

    def port_list(self) -> str:
        """Every listener's port and the closed one, for `-p`."""
        return ",".join(str(p) for p in sorted([*self.ports.values(), self.closed_port]))

    def close(self) -> None:
        """Stop every listener."""
        self._stop.set()
        for s in self._socks:
            s.close()
        for h in self._httpds:
            h.shutdown()
            h.server_close()

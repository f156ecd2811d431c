"""A dedicated embedded Postgres a fault test may stop and start, never the shared server.

pgserver starts it in a temporary directory (unix socket only, no TCP); `stop()` and `start()` run
the `pg_ctl` binary shipped inside the pgserver package with the same socket options, so the
connection URL stays valid across a restart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit


class OwnPostgres:
    """One Postgres cluster for one test: `url`, `stop()`, `start()`, `close()`."""

    def __init__(self) -> None:
        from warehouse.pg import embedded_url

        # Not under pytest's basetemp: a concurrent run prunes old basetemps.
        self.root = Path(tempfile.mkdtemp(prefix="osiris-fault-pg-"))
        self.pgdata = self.root / "pg"
        self.url = embedded_url(self.pgdata)
        self.socket_dir = parse_qs(urlsplit(self.url).query)["host"][0]
        from pgserver._commands import POSTGRES_BIN_PATH

        self._pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
        # Run as root, pgserver runs Postgres as its own system user; pg_ctl must run as that user too.
        self._user = "pgserver" if os.geteuid() == 0 else None

    def _ctl(self, *args: str) -> None:
        subprocess.run([self._pg_ctl, "-D", str(self.pgdata), *args], user=self._user, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (`fast`: roll back open transactions and close every connection)."""
        self._ctl("-w", "-m", mode, "stop")

    def start(self) -> None:
        """Start it again on the same socket; returns once it accepts connections."""
        self._ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}", "-l", str(self.pgdata / "log"), "start")

    def close(self) -> None:
        """Stop the server for good and delete its files."""
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

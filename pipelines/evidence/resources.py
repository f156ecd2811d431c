"""Resources of the `evidence` group: OpenTimestamps calendars (and, optionally, Bitcoin block headers
to check confirmed stamps against), plus the shared Postgres and DuckDB warehouse.

No calendar configured means stamping is off: the assets still batch and say so in their metadata.
Nothing here ever reaches out on its own: production opts in with `OSIRIS_OTS_CALENDARS=public` (the
public calendars below) or a list of URLs; tests and the demo point it at a calendar on 127.0.0.1.
"""

from __future__ import annotations

import os

from dagster import ConfigurableResource
from pydantic import Field

from pipelines.resources import PostgresResource, WarehouseResource
from warehouse.evidence.calendar import CalendarClient
from warehouse.evidence.headers import BitcoindHeaders, HeadersFile, HeaderSource

PUBLIC_CALENDARS = (
    "https://alice.btc.calendar.opentimestamps.org",
    "https://bob.btc.calendar.opentimestamps.org",
    "https://finney.calendar.eternitywall.com",
)
"""The public calendars the reference `ots` client uses; `OSIRIS_OTS_CALENDARS=public` selects them."""

__all__ = ["PUBLIC_CALENDARS", "OtsCalendars", "PostgresResource", "WarehouseResource"]


class OtsCalendars(ConfigurableResource):
    """The calendars roots are stamped through and pending proofs upgraded from; empty = stamping off."""

    urls: list[str] = Field(default_factory=list, description="Calendar base URLs; empty turns stamping off.")
    timeout: float = Field(default=10.0, gt=0, description="Seconds per calendar request.")
    headers_file: str | None = Field(default=None, description="Block headers JSON to check confirmed stamps.")
    bitcoind_url: str | None = Field(default=None, description="bitcoind JSON-RPC URL to fetch headers from.")
    network: str = Field(default="mainnet", description="Proof of work headers must carry: mainnet, testnet, regtest.")

    @classmethod
    def from_env(cls) -> OtsCalendars:
        """`OSIRIS_OTS_CALENDARS` (comma-separated URLs, or `public`), `OSIRIS_OTS_TIMEOUT`,
        `OSIRIS_OTS_HEADERS`, `OSIRIS_BITCOIND_URL`, `OSIRIS_OTS_NETWORK`; unset means stamping is off."""
        raw = os.environ.get("OSIRIS_OTS_CALENDARS", "").strip()
        urls = list(PUBLIC_CALENDARS) if raw.lower() == "public" else [u.strip() for u in raw.split(",") if u.strip()]
        return cls(urls=urls, timeout=float(os.environ.get("OSIRIS_OTS_TIMEOUT") or 10.0),
                   headers_file=os.environ.get("OSIRIS_OTS_HEADERS") or None,
                   bitcoind_url=os.environ.get("OSIRIS_BITCOIND_URL") or None,
                   network=os.environ.get("OSIRIS_OTS_NETWORK") or "mainnet")

    @property
    def enabled(self) -> bool:
        """True when at least one calendar is configured."""
        return bool(self.urls)

    def client(self, urls: list[str] | None = None) -> CalendarClient:
        """A calendar client over the configured URLs (or a subset of them)."""
        return CalendarClient(urls or self.urls, timeout=self.timeout, upgrade_urls=self.urls)

    def headers(self) -> HeaderSource | None:
        """Where block headers come from to check a confirmed stamp, or None (height only, no time)."""
        if self.headers_file:
            return HeadersFile.load(self.headers_file, network=self.network)
        if self.bitcoind_url:
            return BitcoindHeaders(self.bitcoind_url, network=self.network)
        return None

    def describe(self) -> str:
        """For run metadata: the calendars, or why nothing is stamped."""
        if not self.enabled:
            return "stamping disabled: no calendar URL configured (set OSIRIS_OTS_CALENDARS)"
        return ", ".join(self.urls)

"""The Osiris code location: one `Definitions` merging every domain with the local resources.

Adding a domain is one line: its package exposes `defs` (`pipelines/<domain>/__init__.py`) and its
name goes into DOMAINS.
"""

from __future__ import annotations

from importlib import import_module

from dagster import Definitions, in_process_executor

from pipelines.resources import local_resources

DOMAINS = ("ingest", "feeds", "marts", "flywheel", "evidence")


def domains() -> list[Definitions]:
    """Each domain's own Definitions (unbound: no resources yet)."""
    return [import_module(f"pipelines.{name}").defs for name in DOMAINS]


def assets_and_checks() -> list:
    """Every asset and asset check, unbound, as `dagster.materialize` takes them."""
    return [d for defs_ in domains() for d in [*(defs_.assets or []), *(defs_.asset_checks or [])]]


def build_definitions(resources: dict | None = None) -> Definitions:
    """Every domain's assets, checks, jobs, schedules and sensors, bound to `resources` (default local)."""
    # In-process by default: every step writes the one DuckDB file (one writer at a time), and a
    # process per step would buy nothing but start-up time.
    shared = Definitions(resources=resources or local_resources(), executor=in_process_executor)
    return Definitions.merge(*domains(), shared)


defs = build_definitions()

"""The `marts` domain: compliance, devices, CVE exposure, HIPAA coverage, tiers and L2 cost."""

from __future__ import annotations

from dagster import Definitions

from pipelines.marts.assets import ASSETS
from pipelines.marts.checks import CHECKS

defs = Definitions(assets=ASSETS, asset_checks=CHECKS)

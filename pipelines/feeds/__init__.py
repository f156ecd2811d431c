"""The `feeds` domain: NVD CVE records, the OSCAL SP 800-53 catalog and baselines, the HIPAA crosswalk."""

from __future__ import annotations

from dagster import Definitions

from pipelines.feeds.assets import ASSETS
from pipelines.feeds.checks import CHECKS
from pipelines.feeds.schedules import JOBS, SCHEDULES

defs = Definitions(assets=ASSETS, asset_checks=CHECKS, jobs=JOBS, schedules=SCHEDULES)

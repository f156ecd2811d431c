"""The `flywheel` domain: mine L2 decisions, promote rules through shadow and canary, sign the bundle.

The pure core (`mining`, `synthesis`, `backtest`, `gate`, `lifecycle`, `transforms`) imports no
Dagster, so `osiris flywheel simulate` loads fast; `defs` is built on first access.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name != "defs":
        raise AttributeError(name)
    from dagster import Definitions

    from pipelines.flywheel.assets import ASSETS
    from pipelines.flywheel.checks import CHECKS
    from pipelines.flywheel.marts import flywheel_marts
    from pipelines.flywheel.schedules import JOBS, SCHEDULES

    value = Definitions(assets=[*ASSETS, flywheel_marts], asset_checks=CHECKS, jobs=JOBS, schedules=SCHEDULES)
    globals()["defs"] = value
    return value

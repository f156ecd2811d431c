"""The flywheel domain inside the one code location."""

from __future__ import annotations


def test_definitions_hold_the_flywheel_group_check_job_and_schedule() -> None:
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    group = {k.to_user_string() for k in graph.get_all_asset_keys() if graph.get(k).group_name == "flywheel"}
    assert group == {"flywheel_candidates", "flywheel_promotions", "rule_health", "rules_bundle",
                     "flywheel_marts"}
    checks = {c.name for c in graph.asset_check_keys}
    assert "bundle_verifies" in checks
    assert defs.resolve_job_def("flywheel_job") is not None
    assert "flywheel_hourly" in {s.name for s in defs.schedules}


def test_flywheel_core_imports_no_dagster() -> None:
    import subprocess
    import sys

    code = ("import sys, pipelines.flywheel.transforms, pipelines.flywheel.lifecycle; "
            "print('dagster' in sys.modules, 'sklearn' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False"]  # simulate starts fast; sklearn loads only when a tree is fitted

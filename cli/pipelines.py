"""`osiris pipelines`: materialize the warehouse assets in-process, with a progress display.

Runs go to the Dagster instance in `$DAGSTER_HOME` (default `$OSIRIS_HOME/dagster`, telemetry off),
so `dagster dev -w workspace.yaml` on the same home shows them.
"""

from __future__ import annotations

import threading
import uuid
from typing import Annotated, Any

import typer

from cli._output import emit_json, fail

app = typer.Typer(help="Materialize the warehouse pipelines in-process.", no_args_is_help=True)

_RUN_TAG = "osiris/cli_invocation"


def _selection(names: list[str], groups: dict[str, str]) -> Any:
    """Group names and asset names as one AssetSelection; an unknown name is a one-line failure."""
    from dagster import AssetSelection

    known_groups = sorted(set(groups.values()))
    picked = []
    for name in names:
        if name in known_groups:
            picked.append(AssetSelection.groups(name))
        elif name in groups:
            picked.append(AssetSelection.assets(name))
        else:
            fail(f"unknown group or asset {name!r}; groups: {', '.join(known_groups)} "
                 "(`osiris pipelines list` names the assets)")
    selection = picked[0]
    for more in picked[1:]:
        selection = selection | more
    return selection


def _asset_groups(definitions: list) -> dict[str, str]:
    from dagster import AssetsDefinition

    out: dict[str, str] = {}
    for item in definitions:
        if isinstance(item, AssetsDefinition):
            for key, group in item.group_names_by_key.items():
                out[key.to_user_string()] = group
    return out


class _Watcher:
    """Follows the run's events in the instance from a helper thread and drives a rich progress bar."""

    def __init__(self, instance: Any, token: str, total: int, progress: Any):
        self.instance, self.token, self.progress = instance, token, progress
        self.task = progress.add_task("starting", total=total)
        self.stop = threading.Event()
        self.done: set[str] = set()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        from dagster import DagsterEventType, RunsFilter

        kinds = {DagsterEventType.STEP_START, DagsterEventType.ASSET_MATERIALIZATION}
        run_id, cursor = None, None
        while True:
            finished = self.stop.is_set()  # drain once more after the run returns, then stop
            try:
                if run_id is None:
                    runs = self.instance.get_runs(RunsFilter(tags={_RUN_TAG: self.token}), limit=1)
                    run_id = runs[0].run_id if runs else None
                if run_id is not None:
                    page = self.instance.get_records_for_run(run_id, cursor=cursor, of_type=kinds)
                    cursor = page.cursor
                    for record in page.records:
                        self._show(record.event_log_entry.dagster_event)
            except Exception:  # noqa: BLE001 - the display must never break the run it watches
                pass
            if finished:
                return
            self.stop.wait(0.2)

    def _show(self, event: Any) -> None:
        if event.is_step_start:
            self.progress.update(self.task, description=f"running {event.step_key}")
        elif event.asset_key is not None:
            self.done.add(event.asset_key.to_user_string())
            self.progress.update(self.task, completed=len(self.done))


def _first_failure(result: Any) -> tuple[str, str]:
    """The failed step and its own error (the first cause that is not Dagster's wrapper)."""
    for event in result.all_events:
        if event.is_step_failure:
            error = event.event_specific_data.error
            while error.cause is not None and (error.cls_name or "").startswith("Dagster"):
                error = error.cause
            text = (error.message or "").strip().splitlines()
            message = text[0] if text else error.cls_name or "failed"
            # Dagster prefixes the qualified class name; keep the short one.
            head, sep, rest = message.partition(": ")
            return event.step_key or "?", f"{head.rsplit('.', 1)[-1]}{sep}{rest}"
    return "?", "the run failed"


@app.command()
def materialize(
    select: Annotated[list[str] | None, typer.Option(
        "--select", "-s", help="A group (ingest, feeds, marts) or an asset name; repeat to add more. "
                               "Default: everything.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON summary as the last line.")] = False,
) -> None:
    """Materialize assets (and run their checks) in this process, showing progress."""
    from pipelines.dagster_home import use_dagster_home

    use_dagster_home()
    from dagster import DagsterInstance
    from dagster import materialize as run_materialize
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from pipelines.definitions import assets_and_checks
    from pipelines.resources import local_resources

    definitions = assets_and_checks()
    groups = _asset_groups(definitions)
    selection = _selection(select, groups) if select else None
    chosen = [k for k, g in groups.items() if selection is None or k in select or g in select]
    token = uuid.uuid4().hex
    console = Console(stderr=True)
    with DagsterInstance.get() as instance, Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=console, transient=True,
    ) as progress:
        watcher = _Watcher(instance, token, len(chosen), progress)
        watcher.thread.start()
        try:
            # The progress bar replaces Dagster's console lines; a failure is reported once, below.
            result = run_materialize(definitions, resources=local_resources(), instance=instance,
                                     selection=selection, raise_on_error=False, tags={_RUN_TAG: token},
                                     run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}})
        finally:
            watcher.stop.set()
            watcher.thread.join(timeout=5)
        materialized = sorted({e.asset_key.to_user_string() for e in result.get_asset_materialization_events()})
        progress.update(watcher.task, completed=len(materialized),
                        description="done" if result.success else "failed")
    checks = [(c.asset_key.to_user_string(), c.check_name, c.passed) for c in result.get_asset_check_evaluations()]
    failed_checks = [f"{a}:{n}" for a, n, ok in checks if not ok]
    if not result.success:
        step, message = _first_failure(result)
        fail(f"asset {step} failed: {message} (run {result.run_id}; `dagster dev` shows the log)")
    console.print(f"materialized {len(materialized)} assets; {len(checks) - len(failed_checks)} of "
                  f"{len(checks)} checks passed" + (f"; failing: {', '.join(failed_checks)}" if failed_checks else ""))
    if json_out:
        emit_json({"run_id": result.run_id, "materialized": materialized,
                   "checks_passed": len(checks) - len(failed_checks), "checks_failed": failed_checks})


@app.command("list")
def list_assets(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """Every asset with its group."""
    from pipelines.definitions import assets_and_checks

    groups = _asset_groups(assets_and_checks())
    if json_out:
        emit_json([{"asset": k, "group": g} for k, g in sorted(groups.items(), key=lambda kv: (kv[1], kv[0]))])
        return
    for key, group in sorted(groups.items(), key=lambda kv: (kv[1], kv[0])):
        typer.echo(f"{group:8} {key}")

"""Reading what an AppTest run rendered: metrics by label, tables by key, chart data as frames."""

from __future__ import annotations

import json

import pandas as pd
import polars as pl
import pyarrow as pa
from streamlit.testing.v1 import AppTest


def metric(at: AppTest, label: str) -> str:
    """The value shown by the metric with this label."""
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, f"{len(found)} metrics labelled {label!r}: {[m.label for m in at.metric]}"
    return found[0].value


def delta(at: AppTest, label: str) -> str:
    """The delta shown under the metric with this label."""
    return next(m.delta for m in at.metric if m.label == label)


def table(at: AppTest, key: str) -> pd.DataFrame:
    """The table `ui.table` drew with this key (each table is followed by its `<key>_csv` download)."""
    keys = [d.key for d in at.get("download_button") if d.key and d.key.endswith("_csv")]
    assert f"{key}_csv" in keys, f"no table {key!r}; tables: {keys}"
    assert len(keys) == len(at.dataframe), "every table has exactly one CSV download"
    return at.dataframe[keys.index(f"{key}_csv")].value


def charts(at: AppTest) -> list[dict]:
    """Every Vega-Lite chart drawn: its spec, with the first dataset decoded as `_data` (polars)."""
    out = []
    for element in at.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        datasets = list(element.proto.datasets)
        if datasets:
            reader = pa.ipc.open_stream(datasets[0].data.data)
            spec["_data"] = pl.from_arrow(reader.read_all())
        out.append(spec)
    return out


def texts(at: AppTest, kind: str) -> list[str]:
    """The bodies of every element of one kind (`info`, `error`, `success`, `caption`, ...)."""
    return [e.value for e in getattr(at, kind)]

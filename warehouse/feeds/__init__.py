"""Reference feeds: NVD CVE records, the OSCAL SP 800-53 catalog and profiles, the HIPAA crosswalk.

Every parser here is pure (bytes or paths in, lists of flat dicts out), so a Dagster asset can call
it and hand the rows to `to_arrow` for a typed table (`polars.from_arrow` on it is zero-copy).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Column type names used by the row schemas of nvd / oscal / hipaa; kept as strings so that
# importing a parser does not import pyarrow.
_TYPES = ("string", "float64", "int64", "bool", "timestamp", "date", "list<string>")


def to_arrow(rows: Iterable[Mapping[str, Any]], schema: Mapping[str, str]) -> Any:
    """Rows (dicts) to a `pyarrow.Table` with exactly `schema`'s columns and types, even when empty."""
    import pyarrow as pa

    kinds = {
        "string": pa.string(),
        "float64": pa.float64(),
        "int64": pa.int64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "date": pa.date32(),
        "list<string>": pa.list_(pa.string()),
    }
    unknown = {t for t in schema.values() if t not in kinds}
    if unknown:
        raise ValueError(f"unknown column types {sorted(unknown)}; use one of {_TYPES}")
    pa_schema = pa.schema([(name, kinds[t]) for name, t in schema.items()])
    rows = list(rows)
    columns = {name: [row.get(name) for row in rows] for name in schema}
    return pa.Table.from_pydict(columns, schema=pa_schema)

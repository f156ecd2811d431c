"""Errors of the reports. One base class; pages turn each into a message, never a traceback."""

from __future__ import annotations


class AnalyticsError(Exception):
    """Base of every error the reports raise on purpose."""


class MartSchemaError(AnalyticsError):
    """A published mart lacks columns the reports need (it was built by an older or newer producer)."""

    def __init__(self, mart: str, missing: list[str]) -> None:
        self.mart, self.missing = mart, missing
        super().__init__(f"the `{mart}` mart lacks the column(s) {', '.join(missing)}; rebuild it "
                         f"(`osiris pipelines materialize`) or update the reports")


class MartReadError(AnalyticsError):
    """A published mart file could not be read as Parquet (truncated, or not a mart at all)."""


class ExportError(AnalyticsError):
    """The OSCAL export could not be built from what was given (no site, an empty period)."""

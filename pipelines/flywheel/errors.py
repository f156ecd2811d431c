"""The flywheel's errors: one base class, and a subclass for each thing a caller may handle."""

from __future__ import annotations


class FlywheelError(Exception):
    """Base of every error raised by `pipelines.flywheel`."""


class HistoryError(FlywheelError):
    """A decision history file is unreadable or a line is not a valid decision (names the line)."""


class GateConfigError(FlywheelError, ValueError):
    """A gate or lifecycle threshold is out of range (names the setting)."""

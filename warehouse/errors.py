"""The one error hierarchy of `warehouse`; every failure a caller may handle has its own class."""

from __future__ import annotations


class WarehouseError(Exception):
    """Base of every error raised by `warehouse`."""


class InvalidIdError(WarehouseError, ValueError):
    """A string id from a path or body is not a UUID (HTTP maps it to 400)."""


class DatabaseUnavailableError(WarehouseError):
    """Postgres could not be reached or the embedded server could not start."""


class MigrationError(WarehouseError):
    """A migration file failed; nothing of it was applied."""


class SqlNotFoundError(WarehouseError):
    """A named `.sql` file does not exist."""

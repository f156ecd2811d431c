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


# --- Reference feeds (NVD, OSCAL, HIPAA crosswalk) ------------------------------------------------


class FeedError(WarehouseError):
    """A reference feed could not be read, fetched or understood."""


class FeedParseError(FeedError):
    """The bytes are not what the format says (broken JSON, broken gzip, bad encoding)."""


class FeedShapeError(FeedError):
    """The document parsed but is not the expected shape (missing or mistyped fields)."""


class NvdParseError(FeedParseError):
    """An NVD file or response is not valid JSON / JSONL / gzip."""


class NvdShapeError(FeedShapeError):
    """An NVD document is not a CVE API 2.0 response, a `{"cve": ...}` item or a JSONL of items."""


class NvdApiError(FeedError):
    """The NVD API answered with an error status that retrying will not fix."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class NvdRetriesExhaustedError(NvdApiError):
    """The NVD API kept refusing (403 / 429 / 503 or transport errors) for every allowed try."""


class OscalParseError(FeedParseError):
    """An OSCAL file is not valid JSON."""


class OscalShapeError(FeedShapeError):
    """An OSCAL document is not a catalog / profile of the expected shape."""


class OscalImportError(FeedError):
    """A profile import cannot be resolved (no such file or resource, or an import cycle)."""


class CrosswalkError(FeedError):
    """The HIPAA to SP 800-53 crosswalk is malformed or names controls the catalog lacks."""


# --- CVE matching ---------------------------------------------------------------------------------


class MatchError(WarehouseError):
    """Software inventory could not be matched against CVE records."""


class CpeParseError(MatchError, ValueError):
    """A string is not a well-formed CPE 2.3 formatted string."""


class InventoryError(MatchError):
    """An inventory file is malformed (missing columns, empty device id, bad CPE on a row)."""


# --- DuckDB warehouse and extraction --------------------------------------------------------------


class DuckDbError(WarehouseError):
    """The DuckDB warehouse could not be opened, read or written."""


class DuckDbLockedError(DuckDbError):
    """Another process kept the warehouse file's single write lock for longer than the wait."""


class MartNameError(DuckDbError, ValueError):
    """A mart name is not a plain lower-case identifier (it becomes a table and a file name)."""


class ExtractError(WarehouseError):
    """Telemetry could not be extracted from Postgres (no such table, or no `ingest_seq` column)."""


# --- Rules bundles ----------------------------------------------------------------------------------


class RulesBundleError(WarehouseError):
    """Rules handed to the bundle publisher do not load as an L1 rule set; nothing was published."""


class SigningKeyError(WarehouseError):
    """The bundle signing key file is unreadable, malformed or readable by others."""

"""Resources every domain shares: Central Command's Postgres and the DuckDB warehouse.

Both default to the local deployment (`DATABASE_URL` or the embedded Postgres; DuckDB under
`$OSIRIS_HOME`), resolved when a run starts rather than when the code location loads, so the
Dagster UI and the CLI see the same files as the rest of Osiris.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource

from warehouse import duck
from warehouse.pg import database_url


class PostgresResource(ConfigurableResource):
    """Central Command's Postgres: `url` when set, else `DATABASE_URL`, else the embedded default."""

    url: str | None = None

    def dsn(self) -> str:
        """The connection URL to use for this run."""
        return self.url or database_url()


class WarehouseResource(ConfigurableResource):
    """The DuckDB warehouse file and the folder its marts are published to as Parquet."""

    path: str | None = None
    marts_dir: str | None = None

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write connection with the layer schemas applied."""
        with duck.connect(self.path) as con:
            yield con

    def publish(self, con: duckdb.DuckDBPyConnection, table: str) -> Path:
        """Publish `marts.<name>` to `<marts dir>/<name>.parquet`, atomically."""
        return duck.publish_parquet(con, table, directory=self.marts_dir)


def local_resources() -> dict[str, ConfigurableResource]:
    """The `local` deployment's resources (what `dagster dev` and `osiris pipelines` use)."""
    from pipelines.evidence.resources import OtsCalendars
    from pipelines.feeds.resources import NvdFeed, ReferenceData

    return {
        "postgres": PostgresResource(),
        "warehouse": WarehouseResource(),
        "nvd": NvdFeed.from_env(),
        "reference": ReferenceData(),
        "calendars": OtsCalendars.from_env(),  # none configured: stamping is off
    }

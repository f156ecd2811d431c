"""Storage: Postgres (system of record, with an embedded default) and the DuckDB warehouse."""

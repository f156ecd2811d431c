-- Template: {table} is a checked identifier, {column} a quoted identifier from the Postgres catalog and
-- {type} a DuckDB type DuckDB itself reported for the incoming batch.
ALTER TABLE raw.{table} ADD COLUMN {column} {type}

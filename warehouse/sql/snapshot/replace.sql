-- Template: {table} is a checked identifier. A snapshot replaces the raw table wholesale.
CREATE OR REPLACE TABLE raw.{table} AS
SELECT *, now() AS _loaded_at FROM _batch

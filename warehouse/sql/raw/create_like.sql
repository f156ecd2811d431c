-- Template: {table} is a checked identifier. An empty raw table shaped like the first batch.
CREATE TABLE IF NOT EXISTS raw.{table} AS
SELECT *, CAST(NULL AS TIMESTAMPTZ) AS _loaded_at FROM _batch LIMIT 0

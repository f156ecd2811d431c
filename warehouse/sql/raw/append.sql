-- Template: {table} is a checked identifier. Rows past the cursor only, so a replay adds nothing.
INSERT INTO raw.{table} BY NAME
SELECT *, now() AS _loaded_at FROM _batch WHERE ingest_seq > $after

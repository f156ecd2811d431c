-- Template: {table} is a checked identifier. The next page of the same snapshot.
INSERT INTO raw.{table} BY NAME
SELECT *, now() AS _loaded_at FROM _batch

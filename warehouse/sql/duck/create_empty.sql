-- Template: {table} is a checked schema.name. An empty table shaped like a registered frame.
CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM _frame LIMIT 0

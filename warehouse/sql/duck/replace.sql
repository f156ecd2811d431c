-- Template: {table} is a checked schema.name. Replace a table with a registered frame's rows.
CREATE OR REPLACE TABLE {table} AS SELECT * FROM _frame

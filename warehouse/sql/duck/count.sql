-- Template: {table} is a checked schema.name.
SELECT count(*) FROM {table}

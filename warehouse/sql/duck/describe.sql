-- Template: {table} is a checked identifier (schema.name or a registered view). Its columns and types.
DESCRIBE SELECT * FROM {table}

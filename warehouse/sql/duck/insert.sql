-- Template: {table} is a checked schema.name.
INSERT INTO {table} BY NAME SELECT * FROM _frame

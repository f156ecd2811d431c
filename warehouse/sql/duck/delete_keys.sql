-- Template: {table} and {key} are checked identifiers. Drop the rows a frame is about to replace.
DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _frame)

-- Template: {columns} and {table} are identifiers and casts built from the catalog, never input.
-- One page of a full snapshot; the caller holds one REPEATABLE READ transaction, so pages agree.
SELECT {columns} FROM {table}
ORDER BY ctid
LIMIT $1 OFFSET $2

-- Template: {table} is a checked schema.name and {path} a quoted temporary file path; COPY cannot
-- bind either. The caller renames the file into place once it is complete.
COPY (SELECT * FROM {table}) TO '{path}' (FORMAT parquet, COMPRESSION zstd)

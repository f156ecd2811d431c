INSERT INTO raw._cursors (table_name, last_seq, last_modified, updated_at)
VALUES ($name, $last_seq, $last_modified, now())
ON CONFLICT (table_name) DO UPDATE SET
    last_seq = excluded.last_seq, last_modified = excluded.last_modified, updated_at = now()

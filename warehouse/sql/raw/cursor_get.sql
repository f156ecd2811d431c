SELECT last_seq, last_modified FROM raw._cursors WHERE table_name = $name

-- A new site.
INSERT INTO sites (name, timezone, notes)
VALUES ($1, $2, $3)
RETURNING id, name, timezone, notes, created_at, updated_at

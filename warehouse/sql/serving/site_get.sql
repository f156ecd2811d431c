-- One live site.
SELECT id, name, timezone, notes, created_at, updated_at
FROM sites
WHERE id = $1 AND deleted_at IS NULL

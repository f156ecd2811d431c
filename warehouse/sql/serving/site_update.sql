-- Change the given fields of a live site (a null parameter keeps the current value).
UPDATE sites
SET name = coalesce($2, name),
    timezone = coalesce($3, timezone),
    notes = coalesce($4, notes),
    updated_at = now()
WHERE id = $1 AND deleted_at IS NULL
RETURNING id, name, timezone, notes, created_at, updated_at

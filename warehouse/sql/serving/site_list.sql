-- Live sites, oldest first; $1 null lists every site, else only those ids (a partner's).
SELECT id, name, timezone, notes, created_at, updated_at
FROM sites
WHERE deleted_at IS NULL AND ($1::uuid[] IS NULL OR id = ANY ($1::uuid[]))
ORDER BY created_at, id

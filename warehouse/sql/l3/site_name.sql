-- A site's display name.
SELECT name FROM sites WHERE id = $1

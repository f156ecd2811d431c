-- The columns of one table in order, with the type facts the extractor needs to move them as Arrow.
SELECT a.attname AS name, t.typname AS type_name, t.typcategory AS category
FROM pg_attribute a
JOIN pg_type t ON t.oid = a.atttypid
WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum

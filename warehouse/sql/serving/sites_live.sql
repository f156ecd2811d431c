-- Which of these site ids ($1) are live.
SELECT id FROM sites WHERE deleted_at IS NULL AND id = ANY ($1::uuid[])

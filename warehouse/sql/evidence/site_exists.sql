-- Whether a site ($1) exists, retired ones included: evidence outlives a site (HIPAA keeps it six years).
SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1)

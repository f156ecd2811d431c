-- Mark a site's ($3) bundles ($2, in leaf order) as leaves of batch $1.
UPDATE evidence_bundles AS e
SET batch_id = $1, batch_index = u.n - 1
FROM unnest($2::text[]) WITH ORDINALITY AS u(bundle_id, n)
WHERE e.site_id = $3 AND e.bundle_id = u.bundle_id

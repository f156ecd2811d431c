-- Retire a site and revoke its appliances in one statement; its history stays for the auditors.
WITH site AS (
    UPDATE sites SET deleted_at = now(), updated_at = now()
    WHERE id = $1 AND deleted_at IS NULL
    RETURNING id
), revoked AS (
    UPDATE appliances SET revoked = true, revoked_at = now()
    WHERE site_id IN (SELECT id FROM site) AND NOT revoked
    RETURNING id
)
SELECT (SELECT id FROM site) AS id, (SELECT count(*) FROM revoked) AS appliances_revoked

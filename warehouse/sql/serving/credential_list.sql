-- A site's credentials without secrets, with the appliances holding each sealed copy.
SELECT c.id, c.site_id, c.host, c.port, c.username, c.distro, c.auth_kind, c.has_sudo_password,
       c.created_at,
       coalesce(array_agg(s.appliance_id ORDER BY s.appliance_id)
                FILTER (WHERE s.appliance_id IS NOT NULL), '{}') AS sealed_for
FROM target_credentials c
LEFT JOIN sealed_credentials s ON s.credential_id = c.id
WHERE c.site_id = $1
GROUP BY c.id
ORDER BY c.created_at, c.id

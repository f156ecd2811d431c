-- What an appliance receives at check-in: its sealed credentials and where they apply.
SELECT c.id AS credential_id, c.host, c.port, c.distro, s.sealed
FROM sealed_credentials s
JOIN target_credentials c ON c.id = s.credential_id
WHERE s.appliance_id = $1
ORDER BY c.created_at, c.id

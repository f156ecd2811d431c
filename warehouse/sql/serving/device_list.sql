-- A site's devices by hostname.
SELECT id, site_id, hostname, ip, mac, os, device_type, source, domain_joined, notes,
       first_seen_at, last_seen_at
FROM devices
WHERE site_id = $1
ORDER BY hostname

-- Keep the site's device list current from this batch's scans ($1 event ids, $2 site): new hosts
-- appear as 'scan' devices; known ones get their last sighting (manual entries keep their source).
INSERT INTO devices (site_id, hostname, ip, mac, os, device_type, source, first_seen_at, last_seen_at)
SELECT DISTINCT ON (host) $2::uuid, host, ip, mac, os, device_type, 'scan', scanned_at, scanned_at
FROM device_scans
WHERE event_id = ANY ($1::text[]) AND site_id = $2
ORDER BY host, scanned_at DESC
ON CONFLICT (site_id, hostname) DO UPDATE
SET ip = coalesce(EXCLUDED.ip, devices.ip),
    mac = coalesce(EXCLUDED.mac, devices.mac),
    os = coalesce(EXCLUDED.os, devices.os),
    device_type = coalesce(EXCLUDED.device_type, devices.device_type),
    last_seen_at = greatest(devices.last_seen_at, EXCLUDED.last_seen_at)

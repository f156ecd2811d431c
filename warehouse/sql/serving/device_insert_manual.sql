-- A device a person entered by hand (printers, non-domain PCs the scanner cannot vouch for).
INSERT INTO devices (site_id, hostname, ip, mac, os, device_type, domain_joined, notes, source)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'manual')
ON CONFLICT (site_id, hostname) DO NOTHING
RETURNING id, site_id, hostname, ip, mac, os, device_type, source, domain_joined, notes,
          first_seen_at, last_seen_at

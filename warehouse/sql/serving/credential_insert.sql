-- A target credential's public half; the secrets go only into sealed_credentials.
INSERT INTO target_credentials (site_id, host, port, username, distro, auth_kind, has_sudo_password)
VALUES ($1, $2, $3, $4, $5, $6, $7)
RETURNING id, site_id, host, port, username, distro, auth_kind, has_sudo_password, created_at

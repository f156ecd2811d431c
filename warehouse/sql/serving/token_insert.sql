-- A new role token (only its hash is stored).
INSERT INTO api_tokens (role, site_ids, name, token_hash)
VALUES ($1, $2, $3, $4)
RETURNING id, role, site_ids, name, created_at

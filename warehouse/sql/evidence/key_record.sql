-- Remember the evidence key ($2 id, $3 raw) appliance $1 signed with, so it outlives a rotation.
INSERT INTO evidence_keys (appliance_id, key_id, public_key) VALUES ($1, $2, $3)
ON CONFLICT (appliance_id, key_id) DO NOTHING

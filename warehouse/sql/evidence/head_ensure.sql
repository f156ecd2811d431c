-- The site's chain head row ($1 site), made on its first bundle; the lock below needs a row to hold.
INSERT INTO evidence_chain_heads (site_id) VALUES ($1) ON CONFLICT (site_id) DO NOTHING

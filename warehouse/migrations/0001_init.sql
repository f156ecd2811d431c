-- Facts about this installation (its id, when it was created); later migrations add the domain.
CREATE TABLE IF NOT EXISTS osiris_meta (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO osiris_meta (key, value) VALUES ('installation_id', gen_random_uuid()::text)
ON CONFLICT (key) DO NOTHING;

-- Lock the site's chain head ($1) until commit: appends for one site run one after another.
SELECT length, head_hash FROM evidence_chain_heads WHERE site_id = $1 FOR UPDATE

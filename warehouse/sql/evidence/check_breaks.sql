-- Sites whose new bundles did not verify on the pipelines' last walk.
SELECT site_id::text AS site_id, breaks, checked_up_to, first_break, checked_at
FROM evidence_chain_heads WHERE breaks > 0 ORDER BY site_id

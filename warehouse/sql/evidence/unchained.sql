-- Which of these events ($2) of the site ($1) the merge just stored (replays are chained already).
SELECT event_id FROM evidence_bundles WHERE site_id = $1 AND event_id = ANY($2::text[]) AND chain_seq IS NULL

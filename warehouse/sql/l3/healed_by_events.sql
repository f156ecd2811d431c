-- The incidents these new healing outcomes ($1 event ids) verifiably healed.
SELECT DISTINCT site_id, incident_id FROM healing_outcomes WHERE event_id = ANY($1::text[]) AND status = 'healed'

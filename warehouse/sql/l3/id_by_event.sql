-- The escalation stored for an event id.
SELECT id FROM escalations WHERE event_id = $1

-- One escalation by id.
SELECT * FROM escalations WHERE id = $1

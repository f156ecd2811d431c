-- Record what a checking-in appliance reported about itself.
UPDATE appliances
SET hostname = $2, agent_version = $3, platform = $4, bundle_version = $5, last_checkin_at = now()
WHERE id = $1
RETURNING now() AS server_time

-- Record which appliance a spent token enrolled.
UPDATE enrollment_tokens SET used_by_appliance_id = $2 WHERE id = $1

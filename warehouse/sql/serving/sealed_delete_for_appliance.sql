-- Drop every credential sealed to an appliance's previous box key.
DELETE FROM sealed_credentials WHERE appliance_id = $1

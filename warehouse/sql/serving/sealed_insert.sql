-- One credential sealed to one appliance.
INSERT INTO sealed_credentials (credential_id, appliance_id, sealed) VALUES ($1, $2, $3)

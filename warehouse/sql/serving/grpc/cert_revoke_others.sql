-- Re-enrollment: every other live certificate of the appliance stops working at once.
UPDATE appliance_certificates
SET revoked_at = now()
WHERE appliance_id = $1 AND fingerprint <> $2 AND revoked_at IS NULL

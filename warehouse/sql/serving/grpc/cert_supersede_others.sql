-- Renewal: the appliance's other certificates are superseded (accepted for a grace period only).
UPDATE appliance_certificates
SET superseded_at = now()
WHERE appliance_id = $1 AND fingerprint <> $2 AND superseded_at IS NULL AND revoked_at IS NULL

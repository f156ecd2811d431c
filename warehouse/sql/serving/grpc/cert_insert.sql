-- Record an issued agent certificate and make it the appliance's current one.
WITH cert AS (
    INSERT INTO appliance_certificates
        (fingerprint, serial, appliance_id, not_before, not_after, enrollment_token_id, renewed_from)
    VALUES ($1, $2, $3, $4, $5, $6, $7)
    RETURNING fingerprint, appliance_id
)
UPDATE appliances a SET cert_fingerprint = cert.fingerprint
FROM cert
WHERE a.id = cert.appliance_id
RETURNING a.id

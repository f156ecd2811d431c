-- The state of one presented certificate: whose it is and whether it was revoked or superseded
-- longer ago than the grace period ($2 seconds).
SELECT appliance_id, not_after,
       revoked_at IS NOT NULL AS revoked,
       superseded_at IS NOT NULL AND superseded_at <= now() - make_interval(secs => $2) AS replaced
FROM appliance_certificates
WHERE fingerprint = $1

-- name: kv_get
SELECT value FROM kv WHERE key = ?;

-- name: kv_put
INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;

-- name: kv_delete
DELETE FROM kv WHERE key = ?;

-- name: incident_open_for
SELECT * FROM incidents WHERE host = ? AND check_type = ? AND closed_at IS NULL
ORDER BY opened_at DESC LIMIT 1;

-- name: incident_insert
INSERT INTO incidents (incident_id, host, check_type, platform, pattern_signature, status, incident,
                       opened_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?);

-- name: incident_update
UPDATE incidents SET status = ?, tier = coalesce(?, tier), rule_id = coalesce(?, rule_id),
       runbook_id = coalesce(?, runbook_id), updated_at = ?,
       closed_at = CASE WHEN ? THEN ? ELSE closed_at END
WHERE incident_id = ?;

-- name: incident_l2_attempt
UPDATE incidents SET l2_attempts = l2_attempts + 1, status = 'pending_l2', updated_at = ?
WHERE incident_id = ? RETURNING l2_attempts;

-- name: incident_get
SELECT * FROM incidents WHERE incident_id = ?;

-- name: incidents_open
SELECT * FROM incidents WHERE closed_at IS NULL ORDER BY opened_at;

-- name: incidents_open_count
SELECT count(*) FROM incidents WHERE closed_at IS NULL;

-- name: heal_insert
INSERT INTO heals (host, check_type, healed_at) VALUES (?, ?, ?);

-- name: heals_since
SELECT count(*) FROM heals WHERE host = ? AND check_type = ? AND healed_at >= ?;

-- name: heals_prune
DELETE FROM heals WHERE healed_at < ?;

-- name: suppression_get
SELECT * FROM flap_suppressions WHERE host = ? AND check_type = ? AND until > ?;

-- name: suppression_put
INSERT INTO flap_suppressions (host, check_type, since, until, heals, incident_id) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (host, check_type) DO UPDATE SET since = excluded.since, until = excluded.until,
       heals = excluded.heals, incident_id = excluded.incident_id;

-- name: suppressions_active
SELECT * FROM flap_suppressions WHERE until > ? ORDER BY since;

-- name: suppression_delete
DELETE FROM flap_suppressions WHERE host = ? AND check_type = ?;

-- name: breaker_get
SELECT failures, open_until FROM breakers WHERE target = ? AND runbook_id = ?;

-- name: breaker_put
INSERT INTO breakers (target, runbook_id, failures, open_until) VALUES (?, ?, ?, ?)
ON CONFLICT (target, runbook_id) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until;

-- name: breakers_open
SELECT * FROM breakers WHERE open_until > ? ORDER BY target, runbook_id;

-- name: nonce_get
SELECT 1 FROM seen_nonces WHERE nonce = ?;

-- name: nonce_insert
INSERT INTO seen_nonces (nonce, order_id, status, expires_at, seen_at) VALUES (?, ?, ?, ?, ?);

-- name: nonce_status
UPDATE seen_nonces SET status = ? WHERE nonce = ?;

-- name: nonces_prune
DELETE FROM seen_nonces WHERE expires_at < ?;

-- name: bundle_get
SELECT version, digest, envelope, expires_at, verified_at FROM bundle WHERE id = 1;

-- name: bundle_put
INSERT INTO bundle (id, version, digest, envelope, expires_at, verified_at) VALUES (1, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET version = excluded.version, digest = excluded.digest,
       envelope = excluded.envelope, expires_at = excluded.expires_at, verified_at = excluded.verified_at;

-- name: promoted_put
INSERT INTO promoted_rules (rule_id, rule, installed_at) VALUES (?, ?, ?)
ON CONFLICT (rule_id) DO UPDATE SET rule = excluded.rule, installed_at = excluded.installed_at;

-- name: promoted_all
SELECT rule FROM promoted_rules ORDER BY rule_id;

-- name: promoted_delete
DELETE FROM promoted_rules WHERE rule_id = ?;

-- name: outbox_insert
INSERT OR IGNORE INTO outbox (event_id, kind, event, created_at) VALUES (?, ?, ?, ?);

-- name: outbox_batch
SELECT seq, event_id, kind, event FROM outbox ORDER BY seq LIMIT ?;

-- name: outbox_delete
DELETE FROM outbox WHERE seq = ?;

-- name: outbox_count
SELECT count(*) FROM outbox;

-- name: outbox_oldest
SELECT min(created_at) FROM outbox;

-- name: dead_letter_insert
INSERT OR REPLACE INTO dead_letters (event_id, kind, event, reason, failed_at) VALUES (?, ?, ?, ?, ?);

-- name: dead_letter_count
SELECT count(*) FROM dead_letters;

-- name: check_state_get
SELECT status, reported_at FROM check_state WHERE host = ? AND check_type = ?;

-- name: check_state_put
INSERT INTO check_state (host, check_type, status, reported_at) VALUES (?, ?, ?, ?)
ON CONFLICT (host, check_type) DO UPDATE SET status = excluded.status, reported_at = excluded.reported_at;

-- name: scan_insert
INSERT INTO scan_results (host, kind, result, scanned_at) VALUES (?, ?, ?, ?);

-- name: scan_latest
SELECT host, kind, result, scanned_at FROM scan_results WHERE host = ? AND kind = ?
ORDER BY scanned_at DESC LIMIT 1;

-- name: target_put
INSERT INTO targets (host, port, platform, distro, credential_id, sealed, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (host) DO UPDATE SET port = excluded.port, platform = excluded.platform, distro = excluded.distro,
       credential_id = excluded.credential_id, sealed = excluded.sealed, updated_at = excluded.updated_at;

-- name: targets_all
SELECT * FROM targets ORDER BY host;

-- name: target_delete
DELETE FROM targets WHERE host = ?;

-- name: incidents_prune
DELETE FROM incidents WHERE closed_at IS NOT NULL AND closed_at < ?;

-- name: scans_prune
DELETE FROM scan_results WHERE scanned_at < ?;

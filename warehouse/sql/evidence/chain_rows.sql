-- Place stored bundles in the chain, one row per array position (event ids in $1).
UPDATE evidence_bundles AS e
SET chain_seq = u.seq, bundle_hash = u.bundle_hash, prev_hash = u.prev_hash, chain_hash = u.chain_hash,
    key_id = u.key_id, signed = u.signed, created_at = u.created_at, chained_at = now()
FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
            $8::timestamptz[])
     AS u(event_id, seq, bundle_hash, prev_hash, chain_hash, key_id, signed, created_at)
WHERE e.event_id = u.event_id

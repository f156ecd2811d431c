-- DuckDB: every chained bundle with the batch that holds it (and that batch's stamp status).
CREATE OR REPLACE TABLE marts.evidence_bundles AS
SELECT c.site_id, c.bundle_id, c.seq, c.appliance_id, c.kind, c.check_type, c.target, c.result,
       c.bundle_hash, c.chain_hash, b.batch_id, b.status AS anchor_status, b.block_height, c.created_at,
       c.received_at
FROM raw.evidence_chain c
LEFT JOIN marts.evidence_batches b ON b.site_id = c.site_id AND c.seq BETWEEN b.first_seq AND b.last_seq
ORDER BY c.site_id, c.seq

-- A new Merkle batch of a site's bundles: seqs $2..$3, $4 leaves, root $5, and its leaves, ids and seqs.
INSERT INTO evidence_batches (site_id, first_seq, last_seq, leaf_count, root, leaves, bundle_ids, seqs)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
RETURNING id

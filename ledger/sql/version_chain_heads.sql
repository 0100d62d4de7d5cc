-- The head (newest chain position and hash) of every (system, entity) stream of record
-- versions that has any: one index descent per possible stream, never a scan.
SELECT s.system::text, e.entity::text, head.chain_seq, head.chain_hash
FROM unnest(enum_range(NULL::ledger.system)) AS s (system)
CROSS JOIN unnest(enum_range(NULL::ledger.entity)) AS e (entity)
CROSS JOIN LATERAL (
    SELECT r.chain_seq, r.chain_hash
    FROM ledger.record_version AS r
    WHERE r.system = s.system AND r.entity = e.entity
    ORDER BY r.chain_seq DESC
    LIMIT 1
) AS head
ORDER BY 1, 2

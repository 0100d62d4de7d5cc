-- The head of every (system, entity) chain of record versions that has any, as its newest
-- append recorded it: one index descent per possible stream, never a scan.
SELECT s.system::text, e.entity::text, head.head_seq, head.head_hash
FROM unnest(enum_range(NULL::ledger.system)) AS s (system)
CROSS JOIN unnest(enum_range(NULL::ledger.entity)) AS e (entity)
CROSS JOIN LATERAL (
    SELECT h.head_seq, h.head_hash
    FROM ledger.version_chain_head AS h
    WHERE h.system = s.system AND h.entity = e.entity
    ORDER BY h.head_seq DESC
    LIMIT 1
) AS head
ORDER BY 1, 2

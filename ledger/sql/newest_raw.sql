-- The raw native row of the newest version of each given key of one stream (one
-- primary-key probe per key).
SELECT k.native_key, v.raw
FROM unnest(%s::text[]) AS k (native_key)
CROSS JOIN LATERAL (
    SELECT r.raw FROM ledger.record_version AS r
    WHERE r.system = %s::ledger.system AND r.entity = %s::ledger.entity
      AND r.native_key = k.native_key
    ORDER BY r.version DESC
    LIMIT 1
) AS v

-- As newest_for_keys, with the keys as an array (for keys that hold U+001F themselves).
SELECT k.native_key, v.version, v.operation::text, v.content_hash
FROM unnest(%(keys)s::text[]) AS k (native_key)
CROSS JOIN LATERAL (
    SELECT r.version, r.operation, r.content_hash
    FROM ledger.record_version AS r
    WHERE r.system = %(system)s::ledger.system
      AND r.entity = %(entity)s::ledger.entity
      AND r.native_key = k.native_key
    ORDER BY r.version DESC
    LIMIT 1
) AS v

-- The newest version of each of the given records of one (system, entity) stream: one
-- primary-key probe per key (cost grows with the batch, not with the stream). The keys
-- come as one text joined by a separator that none of them holds, in key order.
-- When no stored key of the stream falls between the smallest and the largest given key
-- (a first load, or new documents numbered upwards), one index descent settles it and no
-- key is probed.
SELECT k.native_key, v.version, v.content_hash
FROM unnest(string_to_array(%(keys)s, %(separator)s)) AS k (native_key)
CROSS JOIN LATERAL (
    SELECT r.version, r.content_hash
    FROM ledger.record_version AS r
    WHERE r.system = %(system)s::ledger.system
      AND r.entity = %(entity)s::ledger.entity
      AND r.native_key = k.native_key
    ORDER BY r.version DESC
    LIMIT 1
) AS v
WHERE EXISTS (
    SELECT FROM ledger.record_version AS r
    WHERE r.system = %(system)s::ledger.system
      AND r.entity = %(entity)s::ledger.entity
      AND r.native_key BETWEEN %(first)s AND %(last)s
)

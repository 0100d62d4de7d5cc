-- The newest summary digest of each given key of one stream (one index probe per key).
SELECT k.native_key, d.digest
FROM unnest(%s::text[]) AS k (native_key)
CROSS JOIN LATERAL (
    SELECT s.digest FROM ledger.scan_digest AS s
    WHERE s.system = %s AND s.entity = %s AND s.native_key = k.native_key
    ORDER BY s.digest_id DESC
    LIMIT 1
) AS d

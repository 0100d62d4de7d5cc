-- The newest summary digest of every key of one stream that is still listed.
SELECT native_key, digest FROM (
    SELECT DISTINCT ON (native_key) native_key, digest
    FROM ledger.scan_digest
    WHERE system = %s AND entity = %s
    ORDER BY native_key, digest_id DESC
) AS newest
WHERE digest IS NOT NULL

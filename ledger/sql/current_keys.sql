-- The key of every record of one stream whose newest version is an upsert.
SELECT native_key FROM (
    SELECT DISTINCT ON (native_key) native_key, operation
    FROM ledger.record_version
    WHERE system = %s::ledger.system AND entity = %s::ledger.entity
    ORDER BY native_key, version DESC
) AS newest
WHERE operation = 'upsert'

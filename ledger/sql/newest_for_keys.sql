-- The newest version of each of the given records of one (system, entity) stream:
-- one scan of the primary key over the sorted key array.
SELECT DISTINCT ON (native_key) native_key, version, operation::text, content_hash
FROM ledger.record_version
WHERE system = %(system)s::ledger.system
  AND entity = %(entity)s::ledger.entity
  AND native_key = ANY(%(keys)s::text[])
ORDER BY native_key, version DESC

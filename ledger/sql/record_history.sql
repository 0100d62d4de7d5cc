-- Every version of one record, oldest first.
SELECT system, entity, native_key, version, operation, payload, raw, content_hash,
       source_updated_at, observed_at, run_id
FROM ledger.record_version
WHERE system = %(system)s::ledger.system AND entity = %(entity)s::ledger.entity
  AND native_key = %(key)s
ORDER BY version

-- State as the ledger had observed it at an instant.
SELECT system, entity, native_key, version, operation, payload, raw, content_hash,
       source_updated_at, observed_at, run_id
FROM ledger.records_as_of(%(at)s)
WHERE (%(system)s::text IS NULL OR system = %(system)s::ledger.system)
  AND (%(entity)s::text IS NULL OR entity = %(entity)s::ledger.entity)
ORDER BY system, entity, native_key

-- One page of the state of everything as the ledger had observed it at an instant: the
-- newest version observed by then of each record after the cursor's key, deletes left out.
SELECT system::text, entity::text, native_key, version, payload, content_hash, observed_at
FROM (
    SELECT DISTINCT ON (system, entity, native_key) *
    FROM ledger.record_version
    WHERE observed_at <= %(at)s
      AND (system, entity, native_key)
          > (%(after_system)s::ledger.system, %(after_entity)s::ledger.entity, %(after_key)s)
      AND (%(system)s::text IS NULL OR system = %(system)s::ledger.system)
      AND (%(entity)s::text IS NULL OR entity = %(entity)s::ledger.entity)
    ORDER BY system, entity, native_key, version DESC
) AS newest
WHERE operation = 'upsert'
LIMIT %(limit)s

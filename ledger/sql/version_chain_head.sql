-- The newest chain position and hash of one (system, entity) stream of record versions:
-- one descent of the unique (system, entity, chain_seq) index.
SELECT chain_seq, chain_hash
FROM ledger.record_version
WHERE system = %(system)s::ledger.system
  AND entity = %(entity)s::ledger.entity
ORDER BY chain_seq DESC
LIMIT 1

-- Where one (system, entity) chain of record versions stands: the head its newest append
-- recorded, found with one descent of the head table's primary key.
SELECT head_seq, head_hash
FROM ledger.version_chain_head
WHERE system = %(system)s::ledger.system
  AND entity = %(entity)s::ledger.entity
ORDER BY head_seq DESC
LIMIT 1

-- The record versions of one (system, entity) stream from a chain position, in chain order
-- (versions without a position, which only a superuser can insert, come first).
SELECT native_key, version, operation::text, payload, raw, content_hash, source_updated_at,
       observed_at, run_id, chain_seq, chain_hash
FROM ledger.record_version
WHERE system = %(system)s::ledger.system
  AND entity = %(entity)s::ledger.entity
  AND (chain_seq >= %(from)s OR chain_seq IS NULL)
ORDER BY chain_seq NULLS FIRST

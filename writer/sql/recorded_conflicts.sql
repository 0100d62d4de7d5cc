-- Idempotency keys whose merge conflicts are already recorded as decisions.
SELECT DISTINCT subject ->> 'idempotency_key' AS idempotency_key, subject ->> 'field' AS field
FROM ledger.decision
WHERE kind = 'merge_conflict'

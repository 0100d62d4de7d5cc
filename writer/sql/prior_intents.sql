-- Every write intent recorded so far, with its newest outcome (if any): what planners
-- compare with, so a write is planned once and an echo of our own write is known.
SELECT i.idempotency_key,
       i.target_system,
       i.entity,
       i.operation,
       i.source_system,
       i.source_key,
       i.target_key,
       i.payload,
       i.created_at,
       o.status AS status,
       o.target_key AS outcome_target_key,
       o.created_at AS outcome_at
FROM ledger.write_intent AS i
LEFT JOIN LATERAL (
    SELECT status, target_key, created_at
    FROM ledger.write_outcome AS w
    WHERE w.idempotency_key = i.idempotency_key
    ORDER BY w.outcome_id DESC
    LIMIT 1
) AS o ON true
ORDER BY i.intent_id

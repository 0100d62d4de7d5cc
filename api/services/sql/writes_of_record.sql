-- Write intents planned from one record (its versions are the source) or onto it (target),
-- each with its newest outcome; the columns are named as the API shows them (WriteOut).
SELECT i.intent_id, i.idempotency_key, i.target_system, i.entity, i.operation, i.target_key,
       i.requires_approval, i.created_at AS planned_at, o.status, o.error,
       o.created_at AS outcome_at,
       CASE WHEN i.source_system = %(system)s AND i.source_key = %(key)s THEN 'caused'
            ELSE 'onto' END AS direction
FROM ledger.write_intent AS i
LEFT JOIN LATERAL (
    SELECT status, error, created_at FROM ledger.write_outcome
    WHERE idempotency_key = i.idempotency_key ORDER BY outcome_id DESC LIMIT 1
) AS o ON true
WHERE (i.source_system = %(system)s AND i.source_key = %(key)s
       AND i.idempotency_key LIKE %(source_pattern)s)
   OR (i.target_system = %(system)s AND i.entity = %(entity)s AND i.target_key = %(key)s)
ORDER BY i.intent_id

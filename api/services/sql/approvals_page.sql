-- Write intents that need a person's approval, after an intent id, with the newest approval
-- decision about each and whether it has been applied.
SELECT i.intent_id, i.idempotency_key, i.target_system, i.entity, i.operation, i.source_system,
       i.source_key, i.target_key, i.payload, i.created_at, d.outcome, d.actor, d.created_at,
       EXISTS (SELECT FROM ledger.write_outcome AS o
               WHERE o.idempotency_key = i.idempotency_key AND o.status = 'succeeded') AS applied
FROM ledger.write_intent AS i
LEFT JOIN LATERAL (
    SELECT outcome, actor, created_at FROM ledger.decision
    WHERE kind = 'approval' AND subject @> jsonb_build_object('idempotency_key', i.idempotency_key)
    ORDER BY decision_id DESC LIMIT 1
) AS d ON true
WHERE i.requires_approval AND i.intent_id > %(after)s
  AND (%(intent_id)s::bigint IS NULL OR i.intent_id = %(intent_id)s)
  AND (%(status)s::text IS NULL OR coalesce(d.outcome, 'pending') = %(status)s)
  AND (%(target_system)s::text IS NULL OR i.target_system = %(target_system)s)
ORDER BY i.intent_id
LIMIT %(limit)s

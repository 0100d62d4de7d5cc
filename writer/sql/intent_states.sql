-- Every write intent (or those whose keys are given) with where its applying stands:
-- its newest outcome, how many attempts started, whether any attempt reached the call
-- (so the target must be searched before another), how often it failed transiently,
-- its newest approval decision, and whether a retry was asked after its newest outcome.
WITH last AS (
    SELECT DISTINCT ON (idempotency_key)
           idempotency_key, status, recovery_point, target_key, created_at
      FROM ledger.write_outcome
     WHERE %(keys)s::text[] IS NULL OR idempotency_key = ANY (%(keys)s::text[])
     ORDER BY idempotency_key, outcome_id DESC
), steps AS (
    SELECT idempotency_key,
           count(*) FILTER (WHERE status = 'started') AS attempts,
           count(*) FILTER (WHERE status = 'failed_transient') AS transient_failures,
           bool_or(recovery_point = 'call_started') AS called
      FROM ledger.write_outcome
     WHERE %(keys)s::text[] IS NULL OR idempotency_key = ANY (%(keys)s::text[])
     GROUP BY idempotency_key
), approval AS (
    SELECT DISTINCT ON (subject ->> 'idempotency_key')
           subject ->> 'idempotency_key' AS idempotency_key, outcome, actor
      FROM ledger.decision
     WHERE kind = 'approval'
     ORDER BY subject ->> 'idempotency_key', decision_id DESC
), retry AS (
    SELECT subject ->> 'idempotency_key' AS idempotency_key, max(created_at) AS asked_at
      FROM ledger.decision
     WHERE kind = 'retry'
     GROUP BY subject ->> 'idempotency_key'
)
SELECT i.idempotency_key, i.target_system, i.entity, i.operation,
       i.source_system, i.source_key, i.target_key, i.payload, i.intent_id, i.depends_on,
       i.requires_approval, i.created_at,
       last.status, last.recovery_point, last.target_key AS written_key,
       coalesce(steps.attempts, 0), coalesce(steps.transient_failures, 0),
       coalesce(steps.called, false),
       approval.outcome,
       coalesce(retry.asked_at > last.created_at, false) AS retry_asked,
       i.native_fields
  FROM ledger.write_intent i
  LEFT JOIN last USING (idempotency_key)
  LEFT JOIN steps USING (idempotency_key)
  LEFT JOIN approval USING (idempotency_key)
  LEFT JOIN retry USING (idempotency_key)
 WHERE %(keys)s::text[] IS NULL OR i.idempotency_key = ANY (%(keys)s::text[])
 ORDER BY i.intent_id

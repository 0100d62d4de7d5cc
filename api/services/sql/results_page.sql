-- One page of a run's results of one kind after a result id, each with the newest decision
-- about it (decisions name a GL line or an anomaly by the result's group id).
WITH newest AS (
    SELECT DISTINCT ON (subject->>'group_id') subject->>'group_id' AS group_id, outcome,
           actor, created_at, subject
    FROM ledger.decision
    WHERE kind = %(kind)s
    ORDER BY subject->>'group_id', decision_id DESC
)
SELECT m.result_id, m.run_id, m.group_id, coalesce(n.outcome, m.status) AS status, m.score,
       m.rules, m.amount, m.left_system, m.left_entity, m.left_key, m.right_system,
       m.right_entity, m.right_key, m.detail, n.actor, n.created_at, n.subject
FROM ledger.match_result AS m
LEFT JOIN newest AS n ON n.group_id = m.group_id
WHERE m.run_id = %(run_id)s AND m.kind = %(kind)s AND m.result_id > %(after)s
  AND (%(result_id)s::bigint IS NULL OR m.result_id = %(result_id)s)
  AND (%(status)s::text IS NULL OR coalesce(n.outcome, m.status) = %(status)s)
  AND (%(min_score)s::float8 IS NULL OR m.score >= %(min_score)s)
  AND (%(rule)s::text IS NULL OR %(rule)s = ANY(m.rules))
  AND (%(system)s::text IS NULL OR m.left_system = %(system)s)
ORDER BY m.result_id
LIMIT %(limit)s

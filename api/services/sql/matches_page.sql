-- One page of a run's payment matches (or of one group) after a result id, each with its
-- status now: the newest decision about its group, else what the matcher said.
WITH newest AS (
    SELECT DISTINCT ON (subject->>'match') subject->>'match' AS match, outcome, actor,
           created_at
    FROM ledger.decision
    WHERE kind = 'match'
    ORDER BY subject->>'match', decision_id DESC
)
SELECT m.result_id, m.run_id, m.group_id, coalesce(n.outcome, m.status) AS status, m.score,
       m.rules, m.amount, m.left_system, m.left_entity, m.left_key, m.right_system,
       m.right_entity, m.right_key, m.detail, n.actor, n.created_at
FROM ledger.match_result AS m
LEFT JOIN newest AS n ON n.match = m.run_id || ':' || m.group_id
WHERE m.run_id = %(run_id)s AND m.kind = 'payment' AND m.result_id > %(after)s
  AND (%(status)s::text IS NULL OR coalesce(n.outcome, m.status) = %(status)s)
  AND (%(min_score)s::float8 IS NULL OR m.score >= %(min_score)s)
  AND (%(rule)s::text IS NULL OR %(rule)s = ANY(m.rules))
  AND (%(system)s::text IS NULL OR m.left_system = %(system)s OR m.right_system = %(system)s)
  AND (%(group)s::text IS NULL OR m.group_id = %(group)s)
ORDER BY m.result_id
LIMIT %(limit)s

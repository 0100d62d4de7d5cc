-- Dead letters, newest first, before a dead letter id, with the newest retry asked for each.
SELECT l.dead_letter_id, l.stage, l.system, l.entity, l.native_key, l.idempotency_key,
       l.error_type, l.field, l.message, l.payload, l.run_id, l.created_at,
       r.actor, r.created_at
FROM ledger.dead_letter AS l
LEFT JOIN LATERAL (
    SELECT actor, created_at FROM ledger.decision
    WHERE kind = 'retry' AND subject @> jsonb_build_object('dead_letter_id', l.dead_letter_id)
    ORDER BY decision_id DESC LIMIT 1
) AS r ON true
WHERE l.dead_letter_id < %(before)s
  AND (%(dead_letter_id)s::bigint IS NULL OR l.dead_letter_id = %(dead_letter_id)s)
  AND (%(stage)s::text IS NULL OR l.stage = %(stage)s)
  AND (%(system)s::text IS NULL OR l.system = %(system)s)
  AND (%(entity)s::text IS NULL OR l.entity = %(entity)s)
  AND (%(status)s::text IS NULL
       OR (%(status)s = 'open') = (r.actor IS NULL))
ORDER BY l.dead_letter_id DESC
LIMIT %(limit)s

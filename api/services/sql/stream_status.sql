-- Each stream's newest poll run that ended, and its newest that did not fail: how far
-- behind each (system, entity) is. The streams are found by a skip scan (one index descent
-- per stream on sync_run (kind, system, entity, run_id)), and so is each stream's newest
-- run: the cost follows the number of streams, not of runs.
WITH RECURSIVE streams (system, entity) AS (
    (SELECT system, entity FROM ledger.sync_run
     WHERE kind = 'poll' AND system IS NOT NULL AND entity IS NOT NULL
     ORDER BY system, entity LIMIT 1)
    UNION ALL
    SELECT next.system, next.entity
    FROM streams AS s
    CROSS JOIN LATERAL (
        SELECT r.system, r.entity FROM ledger.sync_run AS r
        WHERE r.kind = 'poll' AND r.entity IS NOT NULL AND (r.system, r.entity) > (s.system, s.entity)
        ORDER BY r.system, r.entity LIMIT 1
    ) AS next
)
SELECT s.system, s.entity, last.status AS last_status, last.finished_at AS last_finished_at,
       last.error, ok.finished_at AS last_success_at
FROM streams AS s
LEFT JOIN LATERAL (
    SELECT e.status, e.finished_at, e.error FROM ledger.sync_run AS r
    JOIN ledger.sync_run_end AS e ON e.run_id = r.run_id
    WHERE r.kind = 'poll' AND r.system = s.system AND r.entity = s.entity
    ORDER BY r.run_id DESC LIMIT 1
) AS last ON true
LEFT JOIN LATERAL (
    SELECT e.finished_at FROM ledger.sync_run AS r
    JOIN ledger.sync_run_end AS e ON e.run_id = r.run_id
    WHERE r.kind = 'poll' AND r.system = s.system AND r.entity = s.entity
      AND e.status <> 'failed'
    ORDER BY r.run_id DESC LIMIT 1
) AS ok ON true
ORDER BY s.system, s.entity

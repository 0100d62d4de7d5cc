-- Each stream's newest poll run that ended, and its newest that succeeded: how far behind
-- each (system, entity) is. One index descent per stream (sync_run_by_kind).
SELECT s.system, s.entity, last.status, last.finished_at, last.error, ok.finished_at
FROM (SELECT DISTINCT system, entity FROM ledger.sync_run
      WHERE kind = 'poll' AND system IS NOT NULL AND entity IS NOT NULL) AS s
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

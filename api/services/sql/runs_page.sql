-- Sync runs, newest first, before a run id, with how each ended (none yet: running).
SELECT r.run_id, r.kind, r.system, r.entity, r.parameters, r.started_at, e.status, e.counts,
       e.error, e.finished_at
FROM ledger.sync_run AS r
LEFT JOIN ledger.sync_run_end AS e ON e.run_id = r.run_id
WHERE r.run_id < %(before)s
  AND (%(kind)s::text IS NULL OR r.kind = %(kind)s)
  AND (%(system)s::text IS NULL OR r.system = %(system)s)
  AND (%(entity)s::text IS NULL OR r.entity = %(entity)s)
  AND (%(status)s::text IS NULL OR coalesce(e.status, 'running') = %(status)s)
ORDER BY r.run_id DESC
LIMIT %(limit)s

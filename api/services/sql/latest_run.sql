-- The newest run of a kind that ended well: what "now" means for reconciliation results.
SELECT r.run_id, r.started_at, e.finished_at
FROM ledger.sync_run AS r
JOIN ledger.sync_run_end AS e ON e.run_id = r.run_id
WHERE r.kind = %(kind)s AND e.status = 'succeeded'
ORDER BY r.run_id DESC
LIMIT 1

-- The guard triggers (refusing UPDATE/DELETE, refusing TRUNCATE) missing or disabled on the
-- given ledger tables: someone switched the append-only guarantee off.
SELECT c.relname::text, guard.name
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('refuse_update_delete'), ('refuse_truncate')) AS guard (name)
WHERE n.nspname = 'ledger'
  AND c.relname = ANY (%(tables)s)
  AND NOT EXISTS (SELECT FROM pg_trigger AS t
                  WHERE t.tgrelid = c.oid AND t.tgname = guard.name AND t.tgenabled <> 'D')
ORDER BY 1, 2

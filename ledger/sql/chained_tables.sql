-- Every ledger table other than record_version that carries chain columns: its name, the
-- first column of its primary key (to name a row), and whether its `chain` trigger is there
-- and enabled.
SELECT c.relname::text AS name,
       key_column.attname::text AS identity,
       EXISTS (SELECT FROM pg_trigger AS t
               WHERE t.tgrelid = c.oid AND t.tgname = 'chain' AND t.tgenabled <> 'D') AS chained
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_index AS i ON i.indrelid = c.oid AND i.indisprimary
LEFT JOIN pg_attribute AS key_column
       ON key_column.attrelid = c.oid AND key_column.attnum = i.indkey[0]
WHERE n.nspname = 'ledger'
  AND c.relkind IN ('r', 'p')
  AND c.relname <> 'record_version'
  AND EXISTS (SELECT FROM pg_attribute AS a
              WHERE a.attrelid = c.oid AND a.attname = 'chain_hash' AND NOT a.attisdropped)
ORDER BY c.relname

-- Identity links in force between KashFlow and Sage 100 records of one entity.
SELECT kashflow_key, sage100_key
FROM ledger.current_link
WHERE entity = %(entity)s
ORDER BY kashflow_key, sage100_key

-- Identity links in force between KashFlow and Sage 100 records of one entity (or all).
SELECT entity, kashflow_key, sage100_key, method, score, decided_by, run_id
FROM ledger.current_link
WHERE (%(entity)s::text IS NULL OR entity = %(entity)s)
ORDER BY entity, kashflow_key, sage100_key

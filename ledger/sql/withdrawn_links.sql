-- Pairs of one entity whose newest link row is an unlink: a link someone took back,
-- which matching must not make again.
SELECT kashflow_key, sage100_key
FROM (
    SELECT DISTINCT ON (entity, kashflow_key, sage100_key) kashflow_key, sage100_key, action
    FROM ledger.link
    WHERE entity = %(entity)s
    ORDER BY entity, kashflow_key, sage100_key, link_id DESC
) AS newest
WHERE action = 'unlink'
ORDER BY kashflow_key, sage100_key

-- Appends identity links (action 'link') and their withdrawals (action 'unlink') of one
-- run, in the order given, skipping each that would change nothing: a link already in
-- force, or an unlink of a pair that is not linked. Callers hold the link lock, so two
-- runs never append the same link twice.
INSERT INTO ledger.link (entity, kashflow_key, sage100_key, action, method, score, decided_by,
                         run_id)
SELECT given.entity, given.kashflow_key, given.sage100_key, given.action, given.method,
       given.score, given.decided_by, %(run_id)s
FROM unnest(%(entity)s::text[], %(kashflow_key)s::text[], %(sage100_key)s::text[],
            %(action)s::text[], %(method)s::text[], %(score)s::double precision[],
            %(decided_by)s::text[])
     WITH ORDINALITY AS given (entity, kashflow_key, sage100_key, action, method, score,
                               decided_by, position)
WHERE (given.action = 'link') <> EXISTS (
    SELECT 1 FROM ledger.current_link AS linked
    WHERE linked.entity = given.entity
      AND linked.kashflow_key = given.kashflow_key
      AND linked.sage100_key = given.sage100_key)
ORDER BY given.position

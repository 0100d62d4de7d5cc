-- The newest checkpoint of one stream (index checkpoint_by_stream: one descent).
SELECT position FROM ledger.checkpoint
WHERE stream = %s
ORDER BY checkpoint_id DESC
LIMIT 1

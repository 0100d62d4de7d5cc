-- One page of a run's unmatched items, in key order after the cursor's key, filtered.
SELECT u.system, u.entity, u.native_key, u.counterparty_key, u.currency, u.amount,
       u.amount_open, u.item_date, u.reference
FROM ledger.unmatched_item AS u
WHERE (u.system, u.entity, u.native_key) > (%(after_system)s, %(after_entity)s, %(after_key)s)
  AND
-- include unmatched_filters
ORDER BY u.system, u.entity, u.native_key
LIMIT %(limit)s

-- Totals of a run's unmatched items under the same filters, by currency, system and age.
SELECT u.currency, u.system,
       CASE WHEN u.item_date > %(today)s::date - 31 THEN '0-30'
            WHEN u.item_date > %(today)s::date - 61 THEN '31-60'
            WHEN u.item_date > %(today)s::date - 91 THEN '61-90'
            ELSE '90+' END AS age_bucket,
       count(*) AS items, sum(u.amount_open) AS amount_open
FROM ledger.unmatched_item AS u
WHERE u.run_id = %(run_id)s
  AND (%(system)s::text IS NULL OR u.system = %(system)s)
  AND (%(entities)s::text[] IS NULL OR u.entity = ANY(%(entities)s))
  AND (%(counterparty)s::text IS NULL OR u.counterparty_key = %(counterparty)s)
  AND (%(currency)s::text IS NULL OR u.currency = %(currency)s)
  AND (%(min_amount)s::numeric IS NULL OR u.amount_open >= %(min_amount)s)
  AND (%(max_amount)s::numeric IS NULL OR u.amount_open <= %(max_amount)s)
  AND (%(date_from)s::date IS NULL OR u.item_date >= %(date_from)s)
  AND (%(date_to)s::date IS NULL OR u.item_date <= %(date_to)s)
  AND NOT EXISTS (
      SELECT FROM ledger.matched_by_person AS s
      WHERE s.system = u.system AND s.entity = u.entity AND s.native_key = u.native_key)
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3

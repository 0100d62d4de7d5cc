-- Totals of a run's unmatched items under the same filters, by currency, system and age.
SELECT u.currency, u.system,
       CASE WHEN u.item_date > %(today)s::date - 31 THEN '0-30'
            WHEN u.item_date > %(today)s::date - 61 THEN '31-60'
            WHEN u.item_date > %(today)s::date - 91 THEN '61-90'
            ELSE '90+' END AS age_bucket,
       count(*) AS items, sum(u.amount_open) AS amount_open
FROM ledger.unmatched_item AS u
WHERE u.run_id = %(run_id)s
  AND
-- include unmatched_filters
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3

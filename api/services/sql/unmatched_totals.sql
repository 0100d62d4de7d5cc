-- Totals of a run's unmatched items under the same filters, by currency, system and age
-- bucket (as `unmatched_page` ages its items).
SELECT u.currency, u.system,
       (%(age_buckets)s::text[])[width_bucket(%(today)s::date - u.item_date,
                                              %(age_bucket_starts)s::int[]) + 1] AS age_bucket,
       count(*) AS items, sum(u.amount_open) AS amount_open
FROM ledger.unmatched_item AS u
WHERE u.run_id = %(run_id)s
  AND
-- include unmatched_filters
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3

-- One page of the newest reconcile run's unmatched items, in key order after the cursor's
-- key, filtered, in one statement (one round trip, one snapshot): the run; on a first page
-- the newest match decision (what the page's totals are kept by); the page's items as the
-- API shows them (UnmatchedItemOut, as JSON text, aged on %(today)s into the buckets of
-- `AGE_BUCKETS`: their names, and the first age of each but the first); and, when a row
-- follows the page, the sort key of its last item (the next page's cursor). No row before
-- the first run.
WITH run AS (
-- include latest_run
), page AS (
    SELECT u.system, u.entity, u.native_key, u.counterparty_key, u.currency, u.amount,
           u.amount_open, u.item_date, u.reference,
           row_number() OVER (ORDER BY u.system, u.entity, u.native_key) AS n
    FROM ledger.unmatched_item AS u
    WHERE u.run_id = (SELECT run_id FROM run)
      AND (u.system, u.entity, u.native_key) > (%(after_system)s, %(after_entity)s, %(after_key)s)
      AND
-- include unmatched_filters
    ORDER BY u.system, u.entity, u.native_key
    LIMIT %(limit)s + 1
)
SELECT run.run_id, run.started_at, run.finished_at,
       CASE WHEN %(first)s
            THEN (SELECT max(decision_id) FROM ledger.decision WHERE kind = 'match') END,
       (SELECT coalesce(json_agg(item ORDER BY item.system, item.entity, item.key), '[]')::text
        FROM (SELECT p.system, p.entity, p.native_key AS key,
                     p.counterparty_key AS counterparty, p.currency, p.amount::text AS amount,
                     p.amount_open::text AS amount_open, p.item_date AS date,
                     %(today)s::date - p.item_date AS age_days,
                     (%(age_buckets)s::text[])[width_bucket(%(today)s::date - p.item_date,
                                                            %(age_bucket_starts)s::int[]) + 1]
                         AS age_bucket,
                     p.reference
              FROM page AS p WHERE p.n <= %(limit)s) AS item),
       (SELECT ARRAY[p.system, p.entity, p.native_key] FROM page AS p
        WHERE p.n = %(limit)s AND EXISTS (SELECT FROM page AS more WHERE more.n > %(limit)s))
FROM run

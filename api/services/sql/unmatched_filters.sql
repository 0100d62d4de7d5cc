-- The filters of a run's unmatched items (each null for any), less those a person has
-- matched since: the WHERE conditions `unmatched_page` and `unmatched_totals` share (after
-- the run's own).
(%(system)s::text IS NULL OR u.system = %(system)s)
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

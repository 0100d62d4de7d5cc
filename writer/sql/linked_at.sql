-- Each identity link in force, with both records as they stood when it was made: the
-- merge base of a pair no write has passed between yet.
SELECT l.entity, l.kashflow_key, l.sage100_key,
       k.payload AS kashflow_payload, s.payload AS sage100_payload
FROM ledger.current_link AS l
LEFT JOIN LATERAL (
    SELECT v.payload FROM ledger.record_version AS v
    WHERE v.system = 'kashflow' AND v.entity::text = l.entity
      AND v.native_key = l.kashflow_key AND v.observed_at <= l.created_at
    ORDER BY v.version DESC LIMIT 1
) AS k ON true
LEFT JOIN LATERAL (
    SELECT v.payload FROM ledger.record_version AS v
    WHERE v.system = 'sage100' AND v.entity::text = l.entity
      AND v.native_key = l.sage100_key AND v.observed_at <= l.created_at
    ORDER BY v.version DESC LIMIT 1
) AS s ON true
WHERE k.payload IS NOT NULL AND s.payload IS NOT NULL

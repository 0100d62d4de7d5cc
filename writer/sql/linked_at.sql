-- Each identity link in force, with both records as they stood when it was made: the
-- merge base of a pair no write has passed between yet.
WITH at_link AS (
    SELECT l.link_id, side.system, v.payload
    FROM ledger.current_link AS l
    CROSS JOIN LATERAL (
        VALUES ('kashflow', l.kashflow_key), ('sage100', l.sage100_key)
    ) AS side (system, native_key)
    CROSS JOIN LATERAL (
        SELECT v.payload FROM ledger.record_version AS v
        WHERE v.system = side.system::ledger.system AND v.entity::text = l.entity
          AND v.native_key = side.native_key AND v.observed_at <= l.created_at
        ORDER BY v.version DESC LIMIT 1
    ) AS v
)
SELECT l.entity, l.kashflow_key, l.sage100_key,
       k.payload AS kashflow_payload, s.payload AS sage100_payload
FROM ledger.current_link AS l
JOIN at_link AS k ON k.link_id = l.link_id AND k.system = 'kashflow'
JOIN at_link AS s ON s.link_id = l.link_id AND s.system = 'sage100'

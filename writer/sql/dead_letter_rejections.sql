-- A record no write could be planned for, as a writer dead letter with no intent; skipped
-- when the same refusal of the same source version is a dead letter already.
INSERT INTO ledger.dead_letter (stage, system, entity, native_key, error_type, field,
                                message, payload, run_id)
SELECT 'writer', %(system)s, %(entity)s, %(key)s, 'NotPlanned', %(field)s, %(message)s,
       %(payload)s, %(run_id)s
WHERE NOT EXISTS (
    SELECT 1 FROM ledger.dead_letter AS d
    WHERE d.stage = 'writer' AND d.error_type = 'NotPlanned' AND d.system = %(system)s
      AND d.entity = %(entity)s AND d.native_key = %(key)s
      AND d.field IS NOT DISTINCT FROM %(field)s AND d.message = %(message)s
      AND d.payload = %(payload)s
)

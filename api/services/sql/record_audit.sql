-- One record's audit in one statement (so of one moment, with no transaction to open): its
-- versions, oldest first; the writes planned from it or made onto it, each with its newest
-- outcome; the decisions taken on it, oldest first. Each a JSON array (as text), its
-- objects' fields named as the API shows them.
SELECT
    (SELECT coalesce(json_agg(v ORDER BY v.version), '[]')::text
     FROM (SELECT version, operation, observed_at, source_updated_at, run_id, content_hash,
                  payload
           FROM ledger.record_version
           WHERE system = %(system)s::text::ledger.system AND entity = %(entity)s::text::ledger.entity
             AND native_key = %(key)s) AS v),
    (SELECT coalesce(json_agg(w ORDER BY w.intent_id), '[]')::text
     FROM (
-- include writes_of_record
     ) AS w),
    (SELECT coalesce(json_agg(d ORDER BY d.decision_id), '[]')::text
     FROM (SELECT decision_id, kind, outcome, actor, reason, created_at, subject
           FROM ledger.decision WHERE subject @> %(subject)s) AS d)

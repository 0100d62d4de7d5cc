-- What /health reads in one statement: the database's clock; each stream's last polls (the
-- rows of `stream_status`, as a JSON array); the job queue's tables (those of
-- `queue_tables`, as a JSON object: name -> qualified name or null).
SELECT clock_timestamp(),
       (SELECT coalesce(json_agg(s ORDER BY s.system, s.entity), '[]')::text FROM (
-- include stream_status
       ) AS s),
       (SELECT json_object_agg(t.name, t.qualified)::text FROM (
-- include queue_tables
       ) AS t)

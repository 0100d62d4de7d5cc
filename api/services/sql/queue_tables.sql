-- The job queue's tables (%(names)s), each schema-qualified by the first of %(schemas)s that
-- holds it where this login may read it; null when none does (a deployment may keep the
-- workers' tables from the API).
SELECT t.name,
       (SELECT q FROM unnest(%(schemas)s::text[]) WITH ORDINALITY AS s(schema, i)
        CROSS JOIN LATERAL (SELECT s.schema || '.' || t.name AS q) AS x
        WHERE CASE WHEN to_regclass(q) IS NOT NULL THEN has_table_privilege(q, 'SELECT') END
        ORDER BY i LIMIT 1) AS qualified
FROM unnest(%(names)s::text[]) AS t(name)

-- Target columns the writer's rules add to an intent's record (enrichment), as
-- {"column": "value"}; NULL when none. Nullable with no default, so the rows chained
-- already hash as they did (the chain strips nulls).
ALTER TABLE ledger.write_intent ADD COLUMN native_fields jsonb;

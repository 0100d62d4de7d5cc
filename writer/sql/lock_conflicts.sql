-- Serialises recording merge conflicts until the end of the transaction, so "is this one
-- recorded already?" and the append that follows it are one step (an advisory lock: the
-- application role may insert into ledger.decision, not lock it).
SELECT pg_advisory_xact_lock(hashtext('ledger.decision:merge_conflict'))
